mnemo_fuzz_target(value_codec SOURCES value_codec_fuzz.cc LIBS mnemo_ds SECONDS 30)
