# install_config_and_unit.cmake: run by `cmake --install` (install(SCRIPT) in CMakeLists.txt).
# Installs conf/mnemo.conf into <sysconfdir>/mnemo and conf/mnemo.service into the systemd unit
# directory, with the unit's paths rewritten to where this install puts the binary and the
# config. It runs at install time so that `cmake --install --prefix X` is followed too.
# Expects MNEMO_SOURCE_DIR, MNEMO_BINARY_DIR, MNEMO_BINDIR and MNEMO_DOCDIR (relative to the prefix or absolute) and MNEMO_UNIT_DIR
# (absolute, such as pkg-config's /lib/systemd/system, or relative to the prefix).

# The system configuration directory as GNUInstallDirs chooses it: /etc for the prefixes / and
# /usr, /etc/opt/... for /opt/..., otherwise <prefix>/etc.
set(prefix "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/+$" "" prefix "${prefix}")
if(prefix STREQUAL "" OR prefix STREQUAL "/usr")
  set(sysconfdir "/etc")
elseif(prefix MATCHES "^/opt/")
  set(sysconfdir "/etc${prefix}")
else()
  set(sysconfdir "${prefix}/etc")
endif()
if(IS_ABSOLUTE "${MNEMO_BINDIR}")
  set(bindir "${MNEMO_BINDIR}")
else()
  set(bindir "${prefix}/${MNEMO_BINDIR}")
endif()
if(IS_ABSOLUTE "${MNEMO_DOCDIR}")
  set(docdir "${MNEMO_DOCDIR}")
else()
  set(docdir "${prefix}/${MNEMO_DOCDIR}")
endif()
if(IS_ABSOLUTE "${MNEMO_UNIT_DIR}")
  set(unitdir "${MNEMO_UNIT_DIR}")
else()
  set(unitdir "${prefix}/${MNEMO_UNIT_DIR}")
endif()

# The config: an existing one is the operator's and stays; the shipped one goes beside it.
set(confdir "${sysconfdir}/mnemo")
if(EXISTS "$ENV{DESTDIR}${confdir}/mnemo.conf")
  file(READ "$ENV{DESTDIR}${confdir}/mnemo.conf" existing)
  file(READ "${MNEMO_SOURCE_DIR}/conf/mnemo.conf" shipped)
  if(NOT existing STREQUAL shipped)
    message(STATUS "Keeping: $ENV{DESTDIR}${confdir}/mnemo.conf (shipped one: mnemo.conf.dist)")
    file(INSTALL "${MNEMO_SOURCE_DIR}/conf/mnemo.conf" DESTINATION "${confdir}"
         RENAME mnemo.conf.dist PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
else()
  file(INSTALL "${MNEMO_SOURCE_DIR}/conf/mnemo.conf" DESTINATION "${confdir}"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()

# The unit: conf/mnemo.service names the default prefix's paths; they become this install's.
file(READ "${MNEMO_SOURCE_DIR}/conf/mnemo.service" unit)
foreach(path "/usr/local/bin/mnemo-server" "/usr/local/etc/mnemo" "/usr/local/share/doc/mnemo")
  string(FIND "${unit}" "${path}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "conf/mnemo.service no longer names ${path}; update this script")
  endif()
endforeach()
string(REPLACE "/usr/local/bin/mnemo-server" "${bindir}/mnemo-server" unit "${unit}")
string(REPLACE "/usr/local/etc/mnemo" "${confdir}" unit "${unit}")
string(REPLACE "/usr/local/share/doc/mnemo" "${docdir}" unit "${unit}")
set(generated "${MNEMO_BINARY_DIR}/mnemo.service.install")
file(WRITE "${generated}" "${unit}")
file(INSTALL "${generated}" DESTINATION "${unitdir}" RENAME mnemo.service
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
