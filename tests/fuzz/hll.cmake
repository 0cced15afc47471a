mnemo_fuzz_target(hll SOURCES hll_fuzz.cc LIBS mnemo_db SECONDS 30)
