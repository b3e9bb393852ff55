/*  sn_actor: an actor's pipe. See sn_actor.h. */
#include "sn_actor.h"

char *
sn_actor_command (zsock_t *pipe)
{
    char *command = zstr_recv (pipe);
    if (command && streq (command, "$TERM"))
        zstr_free (&command);
    return command;
}

bool
sn_actor_ended (zsock_t *pipe)
{
    char *command = sn_actor_command (pipe);
    bool ended = command == NULL;
    zstr_free (&command);
    return ended;
}
