// fedpp: the files under checkpoints: read whole (regular files only), and
// written atomically, a stale temporary file of a killed writer removed
// first.
#pragma once

#include "fedpp/io/bytes.hpp"
#include "fedpp/io/checkpoint_errors.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fedpp::detail {

/// CheckpointIoError "checkpoint '<path>': <what>: <strerror(error)>".
[[noreturn]] inline void throw_io_error(const std::string& what, const std::string& path, int error = errno) {
    throw CheckpointIoError("checkpoint '" + path + "': " + what + ": " + std::strerror(error));
}

/// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    FileDescriptor& operator=(FileDescriptor&&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    [[nodiscard]] int get() const noexcept { return fd_; }
    /// close(2), reported; the descriptor is closed afterwards either way.
    [[nodiscard]] bool close() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return ::close(fd) == 0;
    }

private:
    int fd_;
};

inline const char* file_kind(mode_t mode) noexcept {
    if (S_ISDIR(mode)) return "directory";
    if (S_ISCHR(mode)) return "character device";
    if (S_ISBLK(mode)) return "block device";
    if (S_ISFIFO(mode)) return "pipe (FIFO)";
    if (S_ISSOCK(mode)) return "socket";
    return "special file";
}

/// The whole of the regular file `path`. CheckpointIoError if it cannot be
/// opened or read, or is not a regular file (a directory, a device, a pipe:
/// opened without blocking, and refused before anything is allocated).
inline Bytes read_file_bytes(const std::string& path) {
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (file.get() < 0) {
        const int error = errno;
        struct stat temporary {};
        const bool unfinished = error == ENOENT && ::stat((path + ".tmp").c_str(), &temporary) == 0;
        throw CheckpointIoError("checkpoint '" + path + "': cannot open for reading: " + std::strerror(error) +
                                (unfinished ? " (only '" + path +
                                                  ".tmp' is there: the temporary file of a save that did not "
                                                  "finish, which is not a checkpoint)"
                                            : std::string()));
    }
    struct stat info {};
    if (::fstat(file.get(), &info) != 0) {
        throw_io_error("cannot determine its size", path);
    }
    if (!S_ISREG(info.st_mode)) {
        throw CheckpointIoError("checkpoint '" + path + "': this is a " + file_kind(info.st_mode) +
                                ", not a regular file; a checkpoint is a file written by save_checkpoint");
    }
    Bytes bytes(static_cast<std::size_t>(info.st_size));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::read(file.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw_io_error("read failed", path);
        }
        if (n == 0) {
            break; // shorter than it was: what is there is checked as it is
        }
        done += static_cast<std::size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

/// Writes all of `bytes` to `fd` at `offset`, retrying short writes.
inline void write_all_at(int fd, std::span<const std::byte> bytes, off_t offset, const std::string& path) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw_io_error("write failed", path);
        }
        done += static_cast<std::size_t>(n);
    }
}

/// A new, empty "<path>.tmp" for writing, created afresh (never through a
/// symbolic link, never an earlier file): a stale one, left by a writer
/// that was killed, is removed first.
inline FileDescriptor create_temporary(const std::string& temporary, const std::string& path) {
    if (::unlink(temporary.c_str()) != 0 && errno != ENOENT) {
        throw_io_error("a stale '" + temporary + "' is in the way and cannot be removed", path);
    }
    FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
        throw_io_error("cannot create '" + temporary + "'", path);
    }
    return fd;
}

/// The directory a file at `path` would be in.
inline std::string directory_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

/// CheckpointIoError unless a checkpoint can be written at `path` (checked
/// before a run's first round, not after it): its directory exists and
/// may be written to, and `path` is not a directory.
inline void check_checkpoint_writable(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
        throw CheckpointIoError("checkpoint '" + path + "': is a directory");
    }
    if (::access(directory_of(path).c_str(), W_OK | X_OK) != 0) {
        throw_io_error("cannot be written in '" + directory_of(path) + "'", path);
    }
}

/// Replaces `path` by a file holding `bytes`, atomically: they are written
/// to "<path>.tmp" with their first bytes replaced by `unfinished_head` (so
/// that the temporary file, whatever its length, says it is unfinished),
/// flushed to disk, then the real head is written and flushed, and the file
/// renamed over `path` (and the directory flushed). A crash at any moment
/// leaves `path` as it was or as it is to be.
inline void write_file_atomically(const std::string& path, std::span<const std::byte> bytes,
                                  std::span<const std::byte> unfinished_head) {
    const std::string temporary = path + ".tmp";
    FileDescriptor fd = create_temporary(temporary, path);
    try {
        const std::size_t head = unfinished_head.size();
        write_all_at(fd.get(), unfinished_head, 0, path);
        write_all_at(fd.get(), bytes.subspan(head), static_cast<off_t>(head), path);
        if (::fsync(fd.get()) != 0) {
            throw_io_error("fsync failed", path);
        }
        write_all_at(fd.get(), bytes.first(head), 0, path);
        if (::fsync(fd.get()) != 0) {
            throw_io_error("fsync failed", path);
        }
        if (!fd.close()) {
            throw_io_error("close failed", path);
        }
        if (::rename(temporary.c_str(), path.c_str()) != 0) {
            throw_io_error("cannot rename '" + temporary + "' over it", path);
        }
    } catch (...) {
        ::unlink(temporary.c_str());
        throw;
    }
    // Make the rename itself durable.
    const std::string directory = directory_of(path);
    const FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) {
        ::fsync(dir.get());
    }
}

} // namespace fedpp::detail
