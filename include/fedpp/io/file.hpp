// fedpp::io: whole weights files in and out.
//
// Writes are atomic, as checkpoints' are (checkpoint.hpp): the bytes go to
// "<path>.tmp", are flushed and fsync'ed, then renamed over <path>, so a
// crash leaves the previous file or the new one, never a mixture. Failures
// throw WeightsIoError naming the file and the system's reason.
#pragma once

#include "fedpp/io/codec.hpp"
#include "fedpp/io/errors.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fedpp::io::detail {

[[noreturn]] inline void throw_io_error(const std::string& path, const std::string& what) {
    const int error = errno;
    throw WeightsIoError("'" + path + "': " + what + ": " + std::strerror(error));
}

/// Closes a descriptor when it goes out of scope.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;

    [[nodiscard]] int get() const noexcept { return fd_; }
    /// Closes now, reporting the result (a deferred write error shows here).
    int close() noexcept {
        const int result = ::close(fd_);
        fd_ = -1;
        return result;
    }

private:
    int fd_;
};

/// The whole file at `path`. Reads until the end rather than trusting a
/// size, so that pipes and /proc files work too.
inline Bytes read_file(const std::string& path) {
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) {
        throw_io_error(path, "cannot open for reading");
    }
    Bytes bytes;
    struct stat status {};
    if (::fstat(file.get(), &status) == 0 && status.st_size > 0) {
        bytes.reserve(static_cast<std::size_t>(status.st_size));
    }
    std::byte chunk[1 << 16];
    for (;;) {
        const ssize_t n = ::read(file.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw_io_error(path, "read failed");
        }
        if (n == 0) {
            return bytes;
        }
        bytes.insert(bytes.end(), chunk, chunk + n);
    }
}

inline void write_all(int fd, std::span<const std::byte> bytes, const std::string& path) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw_io_error(path, "write failed");
        }
        done += static_cast<std::size_t>(n);
    }
}

/// Writes `bytes` to `path` atomically (see the file comment).
inline void write_file_atomically(const std::string& path, std::span<const std::byte> bytes) {
    const std::string temporary = path + ".tmp";
    FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (file.get() < 0) {
        throw_io_error(path, "cannot create '" + temporary + "'");
    }
    try {
        write_all(file.get(), bytes, path);
        if (::fsync(file.get()) != 0) {
            throw_io_error(path, "fsync failed");
        }
        if (file.close() != 0) {
            throw_io_error(path, "close failed");
        }
        if (::rename(temporary.c_str(), path.c_str()) != 0) {
            throw_io_error(path, "cannot rename '" + temporary + "' over it");
        }
    } catch (...) {
        ::unlink(temporary.c_str());
        throw;
    }
    const auto slash = path.find_last_of('/');
    const std::string directory = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) {
        ::fsync(dir.get()); // makes the rename durable; best effort
    }
}

} // namespace fedpp::io::detail
