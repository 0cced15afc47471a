mnemo_fuzz_target(resp_parser SOURCES resp_parser_fuzz.cc LIBS mnemo_protocol SECONDS 30)
