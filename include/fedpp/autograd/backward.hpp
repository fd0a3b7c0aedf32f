// fedpp: the reverse sweep.
//
// backward() orders the graph below a root topologically with an explicit
// stack (no recursion, so graph depth is not limited by the call stack), then
// visits the nodes from the root down, each pushing its gradient to its
// inputs. Leaf gradients accumulate across calls; intermediate gradients are
// freed as soon as they have been pushed.
#pragma once

#include "fedpp/autograd/node.hpp"

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// A fresh number for each backward pass, so "visited" needs no clearing.
inline std::uint64_t next_visit_mark() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// The operation nodes below `root` that require a gradient (and root), inputs
/// before the nodes that use them. Leaves other than root are left out: they
/// have no backward step, their consumers accumulate into them. The returned
/// vector is per thread and reused by the next call.
template <class T>
const std::vector<Node<T>*>& topological_order(Node<T>& root) {
    thread_local std::vector<Node<T>*> order;
    thread_local std::vector<std::pair<Node<T>*, int>> stack; // node, next input to visit
    order.clear();
    stack.clear();
    const std::uint64_t mark = next_visit_mark();
    root.visit_mark = mark;
    stack.emplace_back(&root, 0);
    while (!stack.empty()) {
        auto& [node, next_input] = stack.back();
        // The node's next input that is an operation not yet visited, if any.
        Node<T>* unvisited = nullptr;
        while (unvisited == nullptr && next_input < static_cast<int>(node->inputs.size())) {
            Node<T>* input = node->inputs[static_cast<std::size_t>(next_input++)].get();
            if (input != nullptr && input->requires_grad && input->visit_mark != mark) {
                input->visit_mark = mark;
                if (!input->is_leaf()) {
                    unvisited = input;
                }
            }
        }
        if (unvisited != nullptr) {
            stack.emplace_back(unvisited, 0); // `node` and `next_input` are not used after this
        } else {
            order.push_back(node);
            stack.pop_back();
        }
    }
    return order;
}

/// Accumulates `seed` into root's gradient and propagates it to every leaf
/// below root that requires a gradient. Each node's backward() may consume
/// the node's own gradient (see Node::backward), which is dropped next.
template <class T>
void run_backward(Node<T>& root, Matrix<T> seed) {
    const auto& order = topological_order(root);
    root.accumulate(std::move(seed));
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Node<T>& node = **it;
        if (node.is_leaf()) {
            continue;
        }
        if (node.has_grad) {
            node.backward();
        }
        node.drop_grad();
    }
}

} // namespace fedpp::detail

#if defined(FEDPP_COMPILED) // compiled once in fedpp::compiled (fedpp/base/compiled.hpp)
extern template void fedpp::detail::run_backward<float>(fedpp::detail::Node<float>&, fedpp::Matrix<float>);
extern template void fedpp::detail::run_backward<double>(fedpp::detail::Node<double>&, fedpp::Matrix<double>);
#endif
