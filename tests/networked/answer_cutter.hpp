// A relay of TCP connections on 127.0.0.1 between the model owner's
// transport and a party that can lose a party's answers on the way: it
// holds back whatever the party sends (hold_answers), then cuts every
// connection (cut), as a network that breaks after the party carried out a
// request and before its answer arrived. The bytes are TLS: it sees no
// message, only when the party has done its part, which the test learns
// from the party itself (it is served in the test's process).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace network {

class AnswerCutter {
public:
    /// Relays connections made to address() to the party at 127.0.0.1:`party_port`.
    explicit AnswerCutter(int party_port) : party_port_(party_port) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in here = loopback(0);
        socklen_t length = sizeof here;
        if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&here), sizeof here) != 0 ||
            ::listen(listener_, 16) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&here), &length) != 0) {
            const std::string why = std::strerror(errno);
            if (listener_ >= 0) {
                ::close(listener_);
            }
            throw std::runtime_error("AnswerCutter: cannot listen on 127.0.0.1: " + why);
        }
        port_ = ntohs(here.sin_port);
        ::fcntl(listener_, F_SETFL, O_NONBLOCK); // (accept() never waits: a connection given up is no hang)
        acceptor_ = std::thread([this] { accept_connections(); });
    }
    AnswerCutter(const AnswerCutter&) = delete;
    AnswerCutter& operator=(const AnswerCutter&) = delete;

    ~AnswerCutter() {
        stopping_ = true;
        acceptor_.join(); // (no relay starts after it)
        cut();
        std::vector<std::thread> relays;
        {
            const std::lock_guard lock(mutex_);
            relays.swap(relays_);
        }
        for (std::thread& relay : relays) {
            relay.join(); // (each ends once its connection is cut)
        }
        ::close(listener_);
    }

    /// Where the model owner's transport reaches the party through it.
    [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

    /// From now on, nothing the party sends is passed on (it waits in the
    /// connection until cut() drops it).
    void hold_answers() { holding_ = true; }

    /// Closes every connection relayed so far, dropping what was held back;
    /// the connections made after it are relayed in full.
    void cut() {
        const std::lock_guard lock(mutex_);
        holding_ = false;
        for (const auto& [model_owner, party] : open_) {
            ::shutdown(model_owner, SHUT_RDWR);
            ::shutdown(party, SHUT_RDWR);
        }
        open_.clear(); // (each relay closes its own two sockets)
    }

private:
    static sockaddr_in loopback(int port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return address;
    }

    void accept_connections() {
        while (!stopping_) {
            pollfd waiting{listener_, POLLIN, 0};
            if (::poll(&waiting, 1, 50) <= 0) {
                continue;
            }
            const int model_owner = ::accept(listener_, nullptr, nullptr);
            if (model_owner < 0) {
                continue;
            }
            const int party = ::socket(AF_INET, SOCK_STREAM, 0);
            const sockaddr_in target = loopback(party_port_);
            if (party < 0 || ::connect(party, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
                ::close(model_owner);
                if (party >= 0) {
                    ::close(party);
                }
                continue;
            }
            const std::lock_guard lock(mutex_);
            open_.emplace_back(model_owner, party);
            relays_.emplace_back([this, model_owner, party] { relay(model_owner, party); });
        }
    }

    /// Passes bytes both ways until either side closes or the connection
    /// is cut; the party's only while answers are not held back.
    void relay(int model_owner, int party) {
        std::array<char, 1 << 16> buffer{};
        for (bool open = true; open;) {
            std::array<pollfd, 2> ends{pollfd{model_owner, POLLIN, 0},
                                       pollfd{party, static_cast<short>(holding_ ? 0 : POLLIN), 0}};
            if (::poll(ends.data(), ends.size(), 20) <= 0) {
                continue;
            }
            for (std::size_t i = 0; i < ends.size() && open; ++i) {
                if (ends[i].revents == 0) {
                    continue;
                }
                if (i == 1 && holding_) { // (the party hung up while held: wait for the cut)
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                    continue;
                }
                const ssize_t read = ::recv(ends[i].fd, buffer.data(), buffer.size(), 0);
                open = read > 0 && send_all(ends[1 - i].fd, buffer.data(), static_cast<std::size_t>(read));
            }
        }
        {
            const std::lock_guard lock(mutex_);
            std::erase(open_, std::pair{model_owner, party});
        }
        ::close(model_owner);
        ::close(party);
    }

    static bool send_all(int socket, const char* bytes, std::size_t size) {
        while (size > 0) {
            const ssize_t sent = ::send(socket, bytes, size, MSG_NOSIGNAL);
            if (sent <= 0) {
                return false;
            }
            bytes += sent;
            size -= static_cast<std::size_t>(sent);
        }
        return true;
    }

    int party_port_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> holding_{false};
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;                          // guards open_ and relays_
    std::vector<std::pair<int, int>> open_;     // (model owner's end, party's end) of each live connection
    std::vector<std::thread> relays_;
    std::thread acceptor_;
};

} // namespace network
