mnemo_fuzz_target(rdb SOURCES rdb_fuzz.cc LIBS mnemo_persist SECONDS 60)
