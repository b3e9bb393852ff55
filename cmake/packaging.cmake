# Debian packages from this build (deploy/snodo package; docs/operations.md,
# "Installing from packages"): one package per service, snodoctl, and
# snodo-common, which every service depends on (the snodo user, the
# config, the migrations for reference, the docs). The install rules only
# run for cpack (or cmake --install): the build and deploy/snodo up, which
# run from the build tree, do not see them.

set(SNODO_SERVICES registry monitoring matching reporting bridge)
set(SNODO_PACKAGE_MAINTAINER "Snodo maintainers <snodo@localhost>"
  CACHE STRING "the Maintainer field of the Debian packages")

# The config for the installed layout, made from deploy/snodo.cfg.in (the
# template deploy/snodo up fills in), so that a setting added there reaches
# the packages too: state in /var/lib/snodo, secrets in /etc/snodo/certs and
# /etc/snodo/keys, Debian's PostgreSQL on its socket, the ports of
# deploy/snodo up, and the operator's key left for the operator to write.
function(snodo_packaged_config template out)
  file(READ ${template} text)
  # the template's own header says deploy/snodo up writes it: ours instead
  string(REGEX REPLACE "^(#[^\n]*\n)+" "" text "${text}")
  set(header [[
#   Snodo's configuration (ZPL), installed by the snodo-common package as a
#   conffile: an upgrade keeps what you changed (and asks when the packaged
#   one changed too). Made from deploy/snodo.cfg.in for the installed layout:
#   state in /var/lib/snodo, secrets in /etc/snodo/certs and /etc/snodo/keys
#   (the snodo user's alone), logs to the journal (journalctl -u
#   snodo-registry). Each service has its section: where it listens
#   (request, events), its database role, its certificate and audit key. The
#   database is the institution's PostgreSQL (here Debian's, on its socket
#   in /var/run/postgresql); the roles' passwords are in
#   /etc/snodo/keys/pgpass (libpq's passfile). docs/operations.md
#   ("Installing from packages") says how to fill it in and start.
]])
  set(admin_in [[
    admin
        id = admin
        key = "@ADMIN_KEY@"
]])
  set(admin_out [[
    #   the operator, the network's first member: once its certificate is made
    #   (snodoctl keygen /etc/snodo/certs/members/admin.cert), uncomment and
    #   set key to the public-key line of admin.cert
    # admin
    #     id = admin
    #     key = "..."
]])
  string(FIND "${text}" "${admin_in}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${template}: no registry admin block as packaging.cmake expects it")
  endif()
  string(REPLACE "${admin_in}" "${admin_out}" text "${text}")
  string(REPLACE "@DB@" "host=/var/run/postgresql port=5432" text "${text}")
  string(REPLACE "@VAR@/certs" "/etc/snodo/certs" text "${text}")
  string(REPLACE "@VAR@/keys" "/etc/snodo/keys" text "${text}")
  string(REPLACE "@VAR@" "/var/lib/snodo" text "${text}")
  set(port 7401)
  foreach(name REGISTRY MONITORING MATCHING REPORTING)
    math(EXPR events "${port} + 1")
    string(REPLACE "@${name}_PORT@" "${port}" text "${text}")
    string(REPLACE "@${name}_EVENTS_PORT@" "${events}" text "${text}")
    math(EXPR port "${port} + 2")
  endforeach()
  string(REPLACE "@REPORTING_HTTP_PORT@" "${port}" text "${text}")
  math(EXPR port "${port} + 1")
  math(EXPR events "${port} + 1")
  string(REPLACE "@BRIDGE_PORT@" "${port}" text "${text}")
  string(REPLACE "@BRIDGE_EVENTS_PORT@" "${events}" text "${text}")
  #   the metrics endpoints after them, as deploy/snodo gives them
  math(EXPR port "${events} + 1")
  foreach(name REGISTRY MONITORING MATCHING REPORTING BRIDGE)
    string(REPLACE "@${name}_METRICS_PORT@" "${port}" text "${text}")
    math(EXPR port "${port} + 1")
  endforeach()
  string(REGEX MATCH "@[A-Z_]+@" left "${text}")
  if(left)
    message(FATAL_ERROR "${template}: ${left} has no value for the packaged config (cmake/packaging.cmake)")
  endif()
  file(WRITE ${out}.tmp "${header}${text}")
  configure_file(${out}.tmp ${out} COPYONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${template})
endfunction()

set(SNODO_PACKAGED_CONFIG ${CMAKE_BINARY_DIR}/packaging/snodo.cfg)
snodo_packaged_config(${PROJECT_SOURCE_DIR}/deploy/snodo.cfg.in ${SNODO_PACKAGED_CONFIG})

# --- what each package holds ----------------------------------------------------

foreach(service ${SNODO_SERVICES})
  install(TARGETS snodo-${service} RUNTIME DESTINATION bin COMPONENT ${service})
  install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/snodo-${service}.service
    DESTINATION /lib/systemd/system COMPONENT ${service})
endforeach()
install(TARGETS snodoctl RUNTIME DESTINATION bin COMPONENT snodoctl)

install(FILES ${SNODO_PACKAGED_CONFIG} DESTINATION /etc/snodo COMPONENT common)
# The binaries embed their migrations (cmake/embed_sql.cmake) and run them
# forward at start; these copies are for reading only.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/common/sql/ DESTINATION share/snodo/sql/journal
  COMPONENT common FILES_MATCHING PATTERN "*.sql")
foreach(service ${SNODO_SERVICES})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/services/${service}/sql/ DESTINATION share/snodo/sql/${service}
    COMPONENT common FILES_MATCHING PATTERN "*.sql")
endforeach()
file(GLOB SNODO_DOCS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${SNODO_DOCS} ${PROJECT_SOURCE_DIR}/docs/bridge.xsd
  DESTINATION share/doc/snodo-common COMPONENT common)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/examples/ DESTINATION share/doc/snodo-common/examples
  COMPONENT common)

# --- the packages -----------------------------------------------------------------

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME snodo)
set(CPACK_PACKAGE_VENDOR "Snodo")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SNODO_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "federated integration hub for work-placement pathways")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL common ${SNODO_SERVICES} snodoctl)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# the libraries the binaries link, as dpkg-shlibdeps finds them
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# the maintainer scripts 0755, the control files 0644, whatever the checkout's modes
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# a component's CPACK_COMPONENT_<C>_DEPENDS becomes "Depends: snodo-common (= version)"
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_COMMON_PACKAGE_NAME snodo-common)
set(CPACK_DEBIAN_COMMON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_COMMON_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_COMMON_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_COMMON_PACKAGE_SUGGESTS "postgresql (>= 15)")
set(CPACK_DEBIAN_COMMON_DESCRIPTION "Snodo: the snodo user, the configuration, the migrations and the docs
 What every Snodo service shares: the system user snodo, the configuration
 /etc/snodo/snodo.cfg, the folders for the secrets (/etc/snodo/certs,
 /etc/snodo/keys) and the state (/var/lib/snodo), a copy of the SQL
 migrations the services run at start, and the documentation.")
set(CPACK_DEBIAN_COMMON_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
  ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)

set(description_registry "members, persons, companies and the directory")
set(description_monitoring "pathways, agreements, schedules and attendance")
set(description_matching "profile comparison and ranked proposals")
set(description_reporting "indicators, exports and the dashboard")
set(description_bridge "exchange with the regional cartella sociale")
foreach(service ${SNODO_SERVICES})
  string(TOUPPER ${service} upper)
  set(CPACK_DEBIAN_${upper}_PACKAGE_NAME snodo-${service})
  set(CPACK_COMPONENT_${upper}_DEPENDS common)
  # its debug symbols in snodo-<service>-dbgsym (.ddeb), as Debian does; the
  # binary itself is stripped
  set(CPACK_DEBIAN_${upper}_DEBUGINFO_PACKAGE ON)
  set(CPACK_DEBIAN_${upper}_DESCRIPTION "Snodo ${service} service: ${description_${service}}
 One of the services of Snodo, a federated integration hub for
 work-placement pathways, with its systemd unit (snodo-${service}.service).")
  # its maintainer scripts, naming its unit
  set(SERVICE ${service})
  set(scripts)
  foreach(script postinst prerm postrm)
    configure_file(${PROJECT_SOURCE_DIR}/deploy/debian/service/${script}.in
      ${CMAKE_BINARY_DIR}/packaging/${service}/${script} @ONLY)
    list(APPEND scripts ${CMAKE_BINARY_DIR}/packaging/${service}/${script})
  endforeach()
  set(CPACK_DEBIAN_${upper}_PACKAGE_CONTROL_EXTRA ${scripts})
endforeach()
set(CPACK_DEBIAN_SNODOCTL_PACKAGE_NAME snodoctl)
set(CPACK_DEBIAN_SNODOCTL_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_SNODOCTL_PACKAGE_SUGGESTS "snodo-common")
set(CPACK_DEBIAN_SNODOCTL_DESCRIPTION "Snodo's command-line client
 snodoctl: members, persons, pathways, reports and the audit trail of a
 Snodo network, for people and scripts; keygen makes CURVE certificates.")

include(CPack)
