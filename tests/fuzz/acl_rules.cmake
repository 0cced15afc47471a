mnemo_fuzz_target(acl_rules SOURCES acl_rules_fuzz.cc LIBS mnemo_cmd SECONDS 30)
