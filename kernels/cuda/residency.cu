// Device-resident copies of host matrices (Backend::keep_resident): uploaded once through a small pinned staging
// buffer, registered in the backend's ResidencyRegistry (kernels/residency.h), and read by every primitive through
// device_input instead of a fresh upload.
#include <algorithm>
#include <cstring>
#include <memory>

#include "kernels/cuda/cuda_backend_impl.cuh"
#include "kernels/cuda/device_memory.cuh"

namespace oodbench::cuda {
namespace {

/// Bytes of each of the two pinned staging buffers: big enough for full-speed copies, small enough that a large
/// train set never needs a second, pinned copy of itself.
constexpr std::size_t kStagingBytes = std::size_t{32} << 20;

/// Page-locked host memory; empty (null) where the system would not lock any.
struct PinnedBuffer {
  void* data = nullptr;
  explicit PinnedBuffer(std::size_t bytes) {
    if (cudaMallocHost(&data, bytes) != cudaSuccess) {
      cudaGetLastError();  // not sticky: the caller falls back to a pageable copy
      data = nullptr;
    }
  }
  ~PinnedBuffer() {
    if (data) cudaFreeHost(data);
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
};

/// `bytes` from `host` to `device` in chunks through two pinned staging buffers: the CPU fills one while the other
/// is on the bus. Without pinned memory, one pageable copy. On a stream of its own, waited for before it returns.
void upload_staged(void* device, const void* host, std::size_t bytes) {
  note_upload(bytes);
  const std::size_t chunk = std::min(kStagingBytes, bytes);
  PinnedBuffer stage[2] = {PinnedBuffer(chunk), PinnedBuffer(chunk)};
  Stream stream;
  if (!stage[0].data || !stage[1].data) {
    check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, stream.handle), "keep_resident upload");
    check(cudaStreamSynchronize(stream.handle), "keep_resident upload (synchronize)");
    return;
  }
  Event done[2];
  const auto* from = static_cast<const char*>(host);
  auto* to = static_cast<char*>(device);
  for (std::size_t offset = 0, c = 0; offset < bytes; offset += chunk, ++c) {
    const std::size_t n = std::min(chunk, bytes - offset);
    if (c >= 2) check(cudaEventSynchronize(done[c % 2].handle), "keep_resident staging");  // buffer free again
    std::memcpy(stage[c % 2].data, from + offset, n);
    check(cudaMemcpyAsync(to + offset, stage[c % 2].data, n, cudaMemcpyHostToDevice, stream.handle),
          "keep_resident upload");
    check(cudaEventRecord(done[c % 2].handle, stream.handle), "cudaEventRecord");
  }
  check(cudaStreamSynchronize(stream.handle), "keep_resident upload (synchronize)");
}

}  // namespace

/// Admitted against the running total of copies within the residency budget (half the memory budget found when the
/// backend was made); over it, or where the device has no room, the handle is empty and every call uploads as before.
ResidentHandle CudaBackend::keep_resident(const Matrix<float>& x) const {
  if (x.data.empty()) return {};
  const DeviceGuard device(device_);
  return keep_resident_copy(resident_, resident_key(x), x.data.size() * sizeof(float), [&] {
    auto copy = std::make_shared<DeviceBuffer<float>>(x.data.size());
    upload_staged(copy->data(), x.data.data(), x.data.size() * sizeof(float));
    return ResidentCopy{copy->data(), std::move(copy)};
  });
}

std::uint64_t CudaBackend::upload_bytes() const { return uploaded_bytes.load(std::memory_order_relaxed); }

DeviceInput CudaBackend::device_input(const Matrix<float>& host, cudaStream_t stream) const {
  DeviceInput in;
  if (ResidentCopy copy = resident_->find(host); copy.device) {
    in.data = copy.device;
    in.resident = std::move(copy.owner);
  } else {
    in.owned = to_device(host, stream);
    in.data = in.owned.data();
  }
  return in;
}

}  // namespace oodbench::cuda
