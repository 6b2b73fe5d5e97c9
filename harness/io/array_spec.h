// How an array is named, on the command line or in a config: a file whose extension picks the reader, with a key
// after ':' where the file holds several:
//   x.npy                       NumPy array
//   x.npz:key                   one array of a NumPy archive
//   x.h5:/group/dataset         an HDF5 dataset (.h5, .hdf5, .hdf)
//   x.safetensors:tensor        a safetensors tensor
//   x.csv, x.csv:a,b, x.csv:f0..f127, x.tsv:label     columns of delimited text
//   train/*.npy, emb-*.h5:/x    shards: every match in sorted order, concatenated along the rows
// .pt/.pth files are refused with the one-line conversion to .npy.
#pragma once

#include <string>

namespace oodbench {

enum class ArrayFormat { npy, npz, hdf5, safetensors, csv, other };

/// An array name split into its file (or glob) and, for formats with several arrays per file, the key.
struct ArraySpec {
  std::string path;
  std::string key;              ///< npz key, HDF5 dataset, safetensors tensor, CSV columns; empty if none
  ArrayFormat format = ArrayFormat::other;
  bool glob = false;            ///< `path` is a pattern naming shards
  bool keyed() const { return format == ArrayFormat::npz || format == ArrayFormat::hdf5 ||
                              format == ArrayFormat::safetensors || format == ArrayFormat::csv; }
};
ArraySpec split_array_spec(const std::string& spec);

/// Refuses, before any parsing, a directory or a file of a format that is not read (.pt...), saying how to get an
/// array file.
void check_array_file(const ArraySpec& parts);

}  // namespace oodbench
