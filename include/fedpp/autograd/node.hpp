// fedpp: one node of the autograd graph.
//
// A Tensor is a handle to a Node. A leaf node holds a value (and, when it
// requires a gradient, the accumulated gradient). An operation's result is a
// node of a class derived from Node that also holds shared pointers to its
// inputs and knows how to push its gradient back to them: one node per
// matrix operation, with an Eigen kernel for the backward step.
//
// The graph is owned by the tensors that refer to it: when the last handle to
// a loss goes away, the graph behind it is freed. Each training loop thus
// owns its own graph; there is no tape shared between loops or threads.
#pragma once

#include "fedpp/base/block_cache.hpp"
#include "fedpp/base/compiled.hpp"
#include "fedpp/base/matrix.hpp"
#include "fedpp/base/matrix_product.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp::detail {

template <class T>
class Node;

template <class T>
using NodePtr = std::shared_ptr<Node<T>>;

/// The nodes parked by release_inputs_iteratively, per thread.
template <class T>
std::vector<NodePtr<T>>& parked_nodes() {
    thread_local std::vector<NodePtr<T>> nodes;
    return nodes;
}

/// Releases a node's inputs without deep recursion. Destroying the last
/// handle to a long chain of nodes would otherwise recurse once per node and
/// overflow the stack. Short chains (a training step's graph) are released
/// by plain recursion, up to `recursion_limit` nested releases; beyond it,
/// inputs whose last owner is this node are parked in a per-thread list and
/// destroyed by a loop at the outermost level, so the stack depth stays
/// bounded whatever the graph.
template <class T>
void release_inputs_iteratively(std::array<NodePtr<T>, 3>& inputs) noexcept {
    constexpr int recursion_limit = 32;
    // Trivial thread_locals: no per-access initialisation check. The list
    // itself is touched only when something was parked.
    thread_local int depth = 0;
    thread_local bool draining = false;
    thread_local std::size_t parked = 0;
    if (depth < recursion_limit) {
        ++depth;
        for (auto& input : inputs) {
            input.reset(); // may release that input's own inputs, one level deeper
        }
        --depth;
    } else {
        for (auto& input : inputs) {
            if (input && input.use_count() == 1) {
                parked_nodes<T>().push_back(std::move(input));
                ++parked;
            } else {
                input.reset();
            }
        }
    }
    if (depth != 0 || draining || parked == 0) {
        return;
    }
    draining = true;
    auto& pending = parked_nodes<T>();
    while (parked != 0) {
        NodePtr<T> last = std::move(pending.back());
        pending.pop_back();
        --parked;
        last.reset(); // may park more of the chain
    }
    draining = false;
}

/// A new node of type `N` (Node<T> or an operation's node class): its
/// shared_ptr control block and the node in one BlockCache block, since every
/// operation makes a node and every training step frees a graph of them.
template <class N, class... Args>
std::shared_ptr<N> make_node(Args&&... args) {
    return std::allocate_shared<N>(BlockCacheAllocator<N>{}, std::forward<Args>(args)...);
}

template <class T>
class Node {
public:
    Matrix<T> value;
    Matrix<T> grad;               // meaningful only when has_grad
    bool has_grad = false;
    bool requires_grad = false;
    std::uint64_t visit_mark = 0; // used by backward() to visit each node once
    std::array<NodePtr<T>, 3> inputs{};

    Node() = default;
    Node(Matrix<T> initial_value, bool needs_grad) : value(std::move(initial_value)), requires_grad(needs_grad) {}
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;
    virtual ~Node() { release_inputs_iteratively(inputs); }

    /// Pushes this node's gradient to its inputs. Leaves have nothing to do.
    /// An operation may reuse its own `grad` as scratch space or hand its
    /// storage to an input (accumulate(Matrix&&)): run_backward drops it
    /// right after. It must not consume what forward() saved (`value`,
    /// saved tensors): a graph can be back-propagated more than once.
    virtual void backward() {}

    /// The operation that produced this node ("leaf" for leaves).
    [[nodiscard]] virtual std::string_view op_name() const noexcept { return "leaf"; }

    [[nodiscard]] bool is_leaf() const noexcept { return !inputs[0]; }

    /// grad += expression (grad = expression the first time).
    template <class Expression>
    void accumulate(const Expression& expression) {
        if (has_grad) {
            grad += expression;
        } else {
            grad = expression;
            has_grad = true;
        }
    }

    /// grad += gradient, taking over `gradient`'s storage when this node has
    /// no gradient yet (no allocation, no copy).
    void accumulate(Matrix<T>&& gradient) {
        if (has_grad) {
            grad += gradient;
        } else {
            grad = std::move(gradient);
            has_grad = true;
        }
    }

    /// grad += lhs * rhs for a matrix product, evaluated without a
    /// temporary (Eigen assumes products alias unless told otherwise).
    template <class Lhs, class Rhs>
    void accumulate_product(const Lhs& lhs, const Rhs& rhs) {
        if (!has_grad) {
            grad.resize(lhs.rows(), rhs.cols());
        }
        multiply_into(grad, lhs, rhs, has_grad);
        has_grad = true;
    }

    /// Frees the gradient (used for intermediate nodes once it has been
    /// pushed to the inputs, so a graph holds at most the gradients still
    /// in flight).
    void drop_grad() noexcept {
        grad.resize(0, 0);
        has_grad = false;
    }
};

} // namespace fedpp::detail

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(class fedpp::detail::Node);
