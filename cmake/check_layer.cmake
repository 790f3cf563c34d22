# Compiles one line, `#include "HEADER"`, with exactly the include directories a layer's library has, and checks
# the outcome: a header of the layer itself or of a layer below must compile (EXPECT=ok), a header of a layer
# above must not (EXPECT=fail). Run by ctest as:
#   cmake -DCOMPILER=… -DINCLUDES="a;b" -DHEADER=store/store.h -DEXPECT=fail -DWORK=dir -P check_layer.cmake
string(MAKE_C_IDENTIFIER "${HEADER}-${EXPECT}" probe_name)
set(probe "${WORK}/${probe_name}.cc")
file(WRITE "${probe}" "#include \"${HEADER}\"\n")
set(flags "")
foreach(dir IN LISTS INCLUDES)
  list(APPEND flags "-I${dir}")
endforeach()
execute_process(COMMAND ${COMPILER} -std=c++23 -fsyntax-only ${flags} "${probe}"
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(EXPECT STREQUAL "ok" AND NOT result EQUAL 0)
  message(FATAL_ERROR "${HEADER} should compile here but does not:\n${err}")
elseif(EXPECT STREQUAL "fail" AND result EQUAL 0)
  message(FATAL_ERROR "${HEADER} is a layer above, yet it compiles here: an include may run back up")
elseif(EXPECT STREQUAL "fail" AND NOT err MATCHES "No such file")
  message(FATAL_ERROR "${HEADER} failed to compile for another reason than being out of reach:\n${err}")
endif()
