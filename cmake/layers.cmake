# The layers the build enforces (docs/architecture.md). Every include is spelled from the repository root
# ("harness/io/npy.h", "kernels/backend.h"), yet no target has the root on its include path: each layer has an include
# tree of its own in the build folder, <build>/layers/<layer>/<path> -> the layer's source folder, that only the layer
# and the targets linking it see. A header of a layer a target does not link, one above it, is not found.

# Sets `out` to the root of layer `name`'s include tree, where `path` (relative to the repository root) links to its
# source folder or file.
function(oodbench_layer_tree out name path)
  set(root ${PROJECT_BINARY_DIR}/layers/${name})
  get_filename_component(parent ${root}/${path} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${path} ${root}/${path} SYMBOLIC)
  set(${out} ${root} PARENT_SCOPE)
endfunction()

# The static library of layer harness/<name>: every .cpp of the folder but those in EXCLUDE (a module's own files),
# so that a new file joins its layer by being there. PUBLIC: the layers its headers include; PRIVATE: those only its
# sources include. TARGET names the library where oodbench_<name> is taken.
function(oodbench_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TARGET" "EXCLUDE;PUBLIC;PRIVATE")
  if(NOT arg_TARGET)
    set(arg_TARGET oodbench_${name})
  endif()
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/harness/${name}/*.cpp)
  foreach(file ${arg_EXCLUDE})
    list(REMOVE_ITEM sources ${PROJECT_SOURCE_DIR}/harness/${name}/${file})
  endforeach()
  add_library(${arg_TARGET} STATIC ${sources})
  oodbench_layer_tree(root ${name} harness/${name})
  target_include_directories(${arg_TARGET} PUBLIC ${root})
  target_link_libraries(${arg_TARGET} PUBLIC ${arg_PUBLIC} PRIVATE ${arg_PRIVATE} oodbench_warnings)
endfunction()
