mnemo_fuzz_target(aof SOURCES aof_fuzz.cc LIBS mnemo_persist SECONDS 30)
