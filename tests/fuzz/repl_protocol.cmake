mnemo_fuzz_target(repl_protocol SOURCES repl_protocol_fuzz.cc ${PROJECT_SOURCE_DIR}/src/server/repl_protocol.cc LIBS mnemo_base SECONDS 30)
