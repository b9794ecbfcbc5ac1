# dlopen_library(TARGET NAME PREFIX) - build TARGET against the headers of
# pkg-config module PREFIX (PREFIX_INCLUDE_DIRS, _CFLAGS_OTHER, _LIBRARY_DIRS)
# without linking libNAME: the code opens it with dlopen(3) on first need, by
# the soname of the libNAME.so those headers came with, passed as the macro
# DANE_<UPPER NAME>_SONAME ("libNAME.so.N").
function(dlopen_library target name prefix)
  target_include_directories(${target} PRIVATE ${${prefix}_INCLUDE_DIRS})
  target_compile_options(${target} PRIVATE ${${prefix}_CFLAGS_OTHER})
  target_link_libraries(${target} PUBLIC ${CMAKE_DL_LIBS})
  find_library(${prefix}_LIBRARY_FILE ${name} HINTS ${${prefix}_LIBRARY_DIRS} REQUIRED)
  file(REAL_PATH "${${prefix}_LIBRARY_FILE}" real)
  get_filename_component(real "${real}" NAME)
  string(REGEX MATCH "^lib${name}\\.so\\.[0-9]+" soname "${real}")
  if(NOT soname)
    message(FATAL_ERROR "cannot tell the soname of ${${prefix}_LIBRARY_FILE} (${real})")
  endif()
  string(TOUPPER "${name}" upper)
  target_compile_definitions(${target} PRIVATE DANE_${upper}_SONAME="${soname}")
endfunction()
