mnemo_fuzz_target(config SOURCES config_fuzz.cc LIBS mnemo_server SECONDS 30)
