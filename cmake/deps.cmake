# Third-party libraries as fy_dep_<name> INTERFACE targets.
#
# Development builds (FOUNDRY_STATIC=OFF): fy_dep_<name> is the pkg-config imported target, shared libraries.
# Lean builds (FOUNDRY_STATIC=ON): fy_dep_<name> carries only headers and compile flags; every archive named by
# `pkg-config --static` for all of them is linked once, as one rescanned group (their mutual dependencies, such
# as gRPC and libcurl both on OpenSSL, then need no particular order), through fy_dep_static. Only glibc's
# libraries stay dynamic, and libstdc++/libgcc are linked statically (gRPC is C++).
# On macOS (cmake/zig-darwin.cmake) the prefix holds nothing but archives, so plain -l finds them; Apple's linkers
# search archives in any order, so no group is needed; Zig links libc++ statically; libSystem is the one dylib.

if(FOUNDRY_STATIC)
  if(NOT FOUNDRY_DEPS_PREFIX OR NOT EXISTS "${FOUNDRY_DEPS_PREFIX}/lib/pkgconfig/libcurl.pc")
    message(FATAL_ERROR "FOUNDRY_STATIC needs FOUNDRY_DEPS_PREFIX: the prefix printed by scripts/deps.sh <arch>")
  endif()
  # Ours first: libcurl, libnghttp2 and libcjson from deps.sh shadow the system's .pc files.
  set(ENV{PKG_CONFIG_PATH} "${FOUNDRY_DEPS_PREFIX}/lib/pkgconfig")
  # No run path into the build machine's deps prefix: the executable must stand alone.
  set(CMAKE_SKIP_RPATH ON)
  # Link-time section garbage collection: code and data nothing references are left out of the executable (0.5 MB
  # smaller, 0.4 MiB less RSS after the handshake; README "Benchmarks"). Debian's archives were built without
  # per-function sections, so this reaches our own code and whole unused objects, not inside gRPC or OpenSSL.
  add_compile_options(-ffunction-sections -fdata-sections)
  if(APPLE)
    add_link_options(-Wl,-dead_strip)
  else()
    add_link_options(-Wl,--gc-sections)
  endif()
endif()

# glibc's libraries (the loader resolves these on every Linux host that runs Terraform); on macOS all of them are
# libSystem.
set(FY_GLIBC_LIBS c m pthread dl rt resolv)
set(FY_STATIC_MODULES "")

function(fy_dep name module)
  string(TOUPPER "FYDEP_${name}" P)
  pkg_check_modules(${P} REQUIRED IMPORTED_TARGET ${module})
  add_library(fy_dep_${name} INTERFACE)
  if(NOT FOUNDRY_STATIC)
    target_link_libraries(fy_dep_${name} INTERFACE PkgConfig::${P})
    return()
  endif()
  target_include_directories(fy_dep_${name} SYSTEM INTERFACE ${${P}_STATIC_INCLUDE_DIRS})
  target_compile_options(fy_dep_${name} INTERFACE ${${P}_STATIC_CFLAGS_OTHER})
  target_link_libraries(fy_dep_${name} INTERFACE fy_dep_static)
  set(FY_STATIC_MODULES ${FY_STATIC_MODULES} ${module} PARENT_SCOPE)
endfunction()

# One link group of `-l:libX.a` for every non-glibc library the modules name, in pkg-config's order.
function(fy_static_link_group)
  add_library(fy_dep_static INTERFACE)
  if(NOT FOUNDRY_STATIC)
    return()
  endif()
  execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --static --libs ${FY_STATIC_MODULES}
    OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  set(group "")
  set(dirs "")
  set(glibc "")
  foreach(f ${flags})
    if(f MATCHES "^-L(.+)$")
      list(APPEND dirs ${CMAKE_MATCH_1})
    elseif(f MATCHES "^-l(.+)$")
      set(lib ${CMAKE_MATCH_1})
      if(lib IN_LIST FY_GLIBC_LIBS)
        list(APPEND glibc -l${lib})
      elseif(APPLE AND NOT "-l${lib}" IN_LIST group)
        list(APPEND group "-l${lib}")
      elseif(NOT APPLE AND NOT "-l:lib${lib}.a" IN_LIST group)
        list(APPEND group "-l:lib${lib}.a")
      endif()
    endif()
  endforeach()
  list(REMOVE_DUPLICATES dirs)
  list(REMOVE_DUPLICATES glibc)
  target_link_directories(fy_dep_static INTERFACE ${dirs})
  if(APPLE)
    target_link_libraries(fy_dep_static INTERFACE ${group})
  else()
    target_link_libraries(fy_dep_static INTERFACE "-Wl,--start-group" ${group} "-Wl,--end-group" ${glibc}
      Threads::Threads)
    target_link_options(fy_dep_static INTERFACE -static-libstdc++ -static-libgcc)
  endif()
  message(STATUS "FOUNDRY_STATIC: ${group}")
endfunction()

# The executable is linked by the C++ driver when static (libstdc++ for gRPC), otherwise by the C one; a static one
# also carries internal/compat (the glibc 2.34 floor, checked by tests/release).
function(fy_dep_executable target)
  if(FOUNDRY_STATIC)
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
  endif()
  if(FOUNDRY_STATIC AND NOT APPLE)
    target_sources(${target} PRIVATE ${CMAKE_SOURCE_DIR}/internal/compat/dl_find_object.c
      ${CMAKE_SOURCE_DIR}/internal/compat/arc4random.c)
  endif()
endfunction()
