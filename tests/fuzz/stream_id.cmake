mnemo_fuzz_target(stream_id SOURCES stream_id_fuzz.cc LIBS mnemo_ds SECONDS 30)
