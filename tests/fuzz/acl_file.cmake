mnemo_fuzz_target(acl_file SOURCES acl_file_fuzz.cc LIBS mnemo_cmd SECONDS 30)
