/*  sn_actor: what every actor of the runtime does with its pipe (the ZAP
    handler, the broker, the workers, the relay, subscribers, schedulers). */
#ifndef SN_ACTOR_H_INCLUDED
#define SN_ACTOR_H_INCLUDED

#include <czmq.h>

//  Reads one command from an actor's pipe. Returns NULL when the actor must
//  end ($TERM, or the pipe was interrupted), else the command: the caller
//  answers it if it is one it knows, and frees it.
char *sn_actor_command (zsock_t *pipe);

//  The same for an actor that answers no command: true when it must end;
//  any other command is read and dropped.
bool sn_actor_ended (zsock_t *pipe);

#endif
