mnemo_fuzz_target(lua_eval SOURCES lua_eval_fuzz.cc LIBS mnemo_server SECONDS 30)
