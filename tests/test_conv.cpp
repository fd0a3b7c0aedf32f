// The image operations (conv2d, max_pool2d) against their definitions,
// written out as loops over every index, conv2d's gradients against theirs
// (in float and double, through both of its paths: direct and unfolded),
// and dropout's statistics; the gradients are also checked against finite
// differences in test_gradcheck.cpp.
#include <fedpp/autograd/grad_mode.hpp>
#include <fedpp/base/errors.hpp>
#include <fedpp/base/random.hpp>
#include <fedpp/base/transpose.hpp>
#include <fedpp/tensor/tensor.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using fedpp::ImageShape;
using fedpp::Index;
using fedpp::Tensor;
using fedpp::Window2d;

namespace {

template <class T>
fedpp::Matrix<T> uniform_matrix(Index rows, Index cols, std::uint64_t seed) {
    fedpp::Generator generator(seed);
    fedpp::Matrix<T> m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) {
        m.data()[i] = static_cast<T>(generator.uniform(-1, 1));
    }
    return m;
}

/// Pixel (c, y, x) of image n, or 0 outside the image.
template <class T>
double pixel(const fedpp::Matrix<T>& x, const ImageShape& s, Index n, Index c, Index y, Index xx) {
    if (y < 0 || y >= s.height || xx < 0 || xx >= s.width) {
        return 0;
    }
    return static_cast<double>(x(n, (c * s.height + y) * s.width + xx));
}

/// The definition of conv2d (cross-correlation with zero padding), in double.
template <class T>
fedpp::Matrix<double> conv_by_definition(const fedpp::Matrix<T>& x, const ImageShape& in, const fedpp::Matrix<T>& w,
                                         const fedpp::Matrix<T>& b, const Window2d& win) {
    const ImageShape out = fedpp::conv2d_output_shape(in, w.rows(), win);
    const Index kh = win.kernel.height;
    const Index kw = win.kernel.width;
    fedpp::Matrix<double> y(x.rows(), out.size());
    for (Index n = 0; n < x.rows(); ++n) {
        for (Index o = 0; o < out.channels; ++o) {
            for (Index oy = 0; oy < out.height; ++oy) {
                for (Index ox = 0; ox < out.width; ++ox) {
                    double sum = static_cast<double>(b(0, o));
                    for (Index c = 0; c < in.channels; ++c) {
                        for (Index i = 0; i < kh; ++i) {
                            for (Index j = 0; j < kw; ++j) {
                                sum += static_cast<double>(w(o, (c * kh + i) * kw + j)) *
                                       pixel(x, in, n, c, oy * win.stride.height - win.padding.height + i,
                                             ox * win.stride.width - win.padding.width + j);
                            }
                        }
                    }
                    y(n, (o * out.height + oy) * out.width + ox) = sum;
                }
            }
        }
    }
    return y;
}

/// The definition of max pooling: the max over the window's positions
/// inside the image.
fedpp::Matrix<double> pool_by_definition(const fedpp::Matrix<double>& x, const ImageShape& in, const Window2d& win) {
    const ImageShape out = fedpp::max_pool2d_output_shape(in, win);
    fedpp::Matrix<double> y(x.rows(), out.size());
    for (Index n = 0; n < x.rows(); ++n) {
        for (Index c = 0; c < in.channels; ++c) {
            for (Index oy = 0; oy < out.height; ++oy) {
                for (Index ox = 0; ox < out.width; ++ox) {
                    double best = -std::numeric_limits<double>::infinity();
                    for (Index i = 0; i < win.kernel.height; ++i) {
                        for (Index j = 0; j < win.kernel.width; ++j) {
                            const Index y0 = oy * win.stride.height - win.padding.height + i;
                            const Index x0 = ox * win.stride.width - win.padding.width + j;
                            if (y0 >= 0 && y0 < in.height && x0 >= 0 && x0 < in.width) {
                                best = std::max(best, x(n, (c * in.height + y0) * in.width + x0));
                            }
                        }
                    }
                    y(n, (c * out.height + oy) * out.width + ox) = best;
                }
            }
        }
    }
    return y;
}

struct ConvLayerCase {
    Index batch;
    ImageShape image;
    Index out_channels;
    Window2d window;
};

const std::vector<ConvLayerCase>& conv_cases() {
    static const std::vector<ConvLayerCase> cases{
        {2, {1, 28, 28}, 4, {5, 1, 2}},              // the MNIST CNN's first layer, fewer channels
        {2, {3, 14, 14}, 4, {5, 1, 2}},              // its second layer's 14-wide rows, fewer channels
        {1, {2, 10, 10}, 2, {3}},                    // rows exactly one copy wide (8)
        {3, {3, 7, 5}, 2, {{3, 2}, {2, 1}, {1, 0}}},  // odd, non-square, rectangular window
        {1, {2, 9, 8}, 3, {{4, 3}, {3, 2}, {2, 1}}},  // stride leaving rows unread
        {2, {1, 3, 3}, 2, {2, 1, 3}},                // padding beyond the kernel
        {1, {4, 5, 6}, 5, {1}},                     // 1x1 kernel
        {2, {2, 6, 6}, 3, {6}},                     // kernel the size of the image
        // The direct path where vectors are 256 bits or wider (AVX2: 8
        // floats, 4 doubles; AVX-512: 16 and 8), detail::direct_sums_pay:
        // whole packets of channels and enough terms (taps C*kh*kw forward,
        // positions for the weight, O*kh*kw for the input).
        {2, {3, 12, 11}, 16, {5, 1, 2}},            // input gradient by unfolding (3 channels)
        {2, {16, 10, 9}, 48, {{3, 2}, 1, {1, 0}}},   // 48 channels: tiles of 2 and 1 packets (AVX-512); rectangular
        {1, {32, 9, 9}, 64, {3, 1, 1}},             // 64 channels: the widest tile (AVX-512)
        {2, {12, 9, 9}, 24, {3, 1, 1}},             // 24 and 12 channels: tiles of 2 and 1 packets (AVX2)
        {2, {16, 8, 8}, 16, {2, 1, 3}},             // padding beyond the kernel: input gradient by unfolding
        {2, {16, 2, 2}, 16, {3, 1, 1}},             // images smaller than the kernel
        {2, {16, 10, 10}, 16, {3, 1, 0}},           // no padding: the images read in place
        {2, {16, 10, 10}, 16, {3, 1, 2}},           // padding kernel - 1: the input gradient's needs none
        {1, {16, 5, 5}, 16, {3, 2, 1}},             // stride 2: unfolded throughout
        {3, {16, 1, 1}, 32, {1}},                   // 1x1 kernel on 1x1 images: too few terms, unfolded
    };
    return cases;
}

} // namespace

TEST_CASE("conv2d equals its definition, in double and in float", "[tensor][conv]") {
    std::uint64_t seed = 1;
    for (const auto& c : conv_cases()) {
        INFO("image " << c.image.to_string() << ", kernel " << c.window.kernel.to_string() << ", stride "
                      << c.window.stride.to_string() << ", padding " << c.window.padding.to_string());
        const Index patch = c.image.channels * c.window.kernel.height * c.window.kernel.width;
        const auto x = uniform_matrix<double>(c.batch, c.image.size(), seed++);
        const auto w = uniform_matrix<double>(c.out_channels, patch, seed++);
        const auto b = uniform_matrix<double>(1, c.out_channels, seed++);
        const auto expected = conv_by_definition(x, c.image, w, b, c.window);
        const auto y = fedpp::conv2d(Tensor<double>(x), c.image, Tensor<double>(w), Tensor<double>(b), c.window);
        REQUIRE(y.rows() == expected.rows());
        REQUIRE(y.cols() == expected.cols());
        CHECK((y.value() - expected).cwiseAbs().maxCoeff() <= 1e-13);

        const fedpp::Matrix<float> xf = x.cast<float>();
        const fedpp::Matrix<float> wf = w.cast<float>();
        const fedpp::Matrix<float> bf = b.cast<float>();
        const auto yf = fedpp::conv2d(Tensor<float>(xf), c.image, Tensor<float>(wf), Tensor<float>(bf), c.window);
        const auto expected_f = conv_by_definition(xf, c.image, wf, bf, c.window);
        CHECK((yf.value().cast<double>() - expected_f).cwiseAbs().maxCoeff() <= 1e-5 * static_cast<double>(patch));
    }
}

namespace {

/// The gradients of sum(conv2d(x, w, b) .* g) by their definitions, in
/// double: dx, dw, db.
template <class T>
std::vector<fedpp::Matrix<double>> conv_gradients_by_definition(const fedpp::Matrix<T>& x, const ImageShape& in,
                                                                const fedpp::Matrix<T>& w,
                                                                const fedpp::Matrix<T>& g, const Window2d& win) {
    const ImageShape out = fedpp::conv2d_output_shape(in, w.rows(), win);
    const Index kh = win.kernel.height;
    const Index kw = win.kernel.width;
    fedpp::Matrix<double> dx = fedpp::Matrix<double>::Zero(x.rows(), x.cols());
    fedpp::Matrix<double> dw = fedpp::Matrix<double>::Zero(w.rows(), w.cols());
    fedpp::Matrix<double> db = fedpp::Matrix<double>::Zero(1, w.rows());
    for (Index n = 0; n < x.rows(); ++n) {
        for (Index o = 0; o < out.channels; ++o) {
            for (Index p = 0; p < out.height * out.width; ++p) {
                const double gradient = static_cast<double>(g(n, o * out.height * out.width + p));
                db(0, o) += gradient;
                for (Index c = 0; c < in.channels; ++c) {
                    for (Index i = 0; i < kh; ++i) {
                        for (Index j = 0; j < kw; ++j) {
                            const Index y = (p / out.width) * win.stride.height - win.padding.height + i;
                            const Index xx = (p % out.width) * win.stride.width - win.padding.width + j;
                            if (y < 0 || y >= in.height || xx < 0 || xx >= in.width) {
                                continue;
                            }
                            const Index at = (c * in.height + y) * in.width + xx;
                            const Index tap = (c * kh + i) * kw + j;
                            dw(o, tap) += gradient * static_cast<double>(x(n, at));
                            dx(n, at) += gradient * static_cast<double>(w(o, tap));
                        }
                    }
                }
            }
        }
    }
    return {dx, dw, db};
}

/// Which of conv2d's three computations take the direct path.
struct DirectPaths {
    bool output;
    bool weight;
    bool input;
};

template <class T>
DirectPaths direct_paths(const ConvLayerCase& c) {
    const fedpp::detail::WindowGeometry g{c.image, fedpp::conv2d_output_shape(c.image, c.out_channels, c.window),
                                          c.window};
    return {fedpp::detail::direct_convolution_applies<T>(g), fedpp::detail::direct_weight_gradient_applies<T>(g),
            fedpp::detail::direct_input_gradient_applies<T>(g)};
}

/// conv2d's gradients against their definitions, each within
/// tolerance_per_term times the number of terms it sums; also with an input
/// that needs no gradient (a model's first layer), whose weight and bias
/// gradients must be the same.
template <class T>
void check_conv_gradients(const ConvLayerCase& c, std::uint64_t seed, double tolerance_per_term) {
    const Index patch = c.image.channels * c.window.kernel.height * c.window.kernel.width;
    const ImageShape out = fedpp::conv2d_output_shape(c.image, c.out_channels, c.window);
    const auto x = uniform_matrix<T>(c.batch, c.image.size(), seed);
    const auto w = uniform_matrix<T>(c.out_channels, patch, seed + 1);
    const auto b = uniform_matrix<T>(1, c.out_channels, seed + 2);
    const auto g = uniform_matrix<T>(c.batch, out.size(), seed + 3);
    const auto expected = conv_gradients_by_definition(x, c.image, w, g, c.window);
    const double input_terms = static_cast<double>(c.out_channels * c.window.kernel.height * c.window.kernel.width);
    const double weight_terms = static_cast<double>(c.batch * out.height * out.width);
    for (const bool input_grad : {true, false}) {
        INFO("input requires a gradient: " << input_grad);
        Tensor<T> tx(x);
        Tensor<T> tw(w);
        Tensor<T> tb(b);
        tx.set_requires_grad(input_grad);
        tw.set_requires_grad();
        tb.set_requires_grad();
        (fedpp::conv2d(tx, c.image, tw, tb, c.window) * Tensor<T>(g)).sum().backward();
        if (input_grad) {
            CHECK((tx.grad().template cast<double>() - expected[0]).cwiseAbs().maxCoeff() <=
                  tolerance_per_term * input_terms);
        }
        CHECK((tw.grad().template cast<double>() - expected[1]).cwiseAbs().maxCoeff() <=
              tolerance_per_term * weight_terms);
        CHECK((tb.grad().template cast<double>() - expected[2]).cwiseAbs().maxCoeff() <=
              tolerance_per_term * weight_terms);
    }
}

/// Checks the gradients for every case, and that each direct path was
/// taken where the ISA allows.
template <class T>
void check_every_case(double tolerance_per_term) {
    std::uint64_t seed = 100;
    int output = 0;
    int weight = 0;
    int input = 0;
    for (const auto& c : conv_cases()) {
        const DirectPaths direct = direct_paths<T>(c);
        INFO("image " << c.image.to_string() << ", " << c.out_channels << " output channels, kernel "
                      << c.window.kernel.to_string() << ", stride " << c.window.stride.to_string() << ", padding "
                      << c.window.padding.to_string() << "; direct: output " << direct.output << ", weight "
                      << direct.weight << ", input " << direct.input);
        check_conv_gradients<T>(c, seed, tolerance_per_term);
        output += direct.output ? 1 : 0;
        weight += direct.weight ? 1 : 0;
        input += direct.input ? 1 : 0;
        seed += 4;
    }
    // The rule sends several cases to each path where vectors are wide (with
    // FMA), and none where not.
    if (fedpp::detail::wide_packets<T> && fedpp::detail::simd_fused_multiply_add) {
        CHECK(output >= 3);
        CHECK(weight >= 3);
        CHECK(input >= 2);
    } else {
        CHECK(output + weight + input == 0);
    }
}

} // namespace

TEST_CASE("conv2d's gradients equal their definitions, in double and in float, on both paths", "[tensor][conv]") {
    check_every_case<double>(1e-13);
    check_every_case<float>(1e-5);
}

TEST_CASE("conv2d computes directly with stride 1, wide vectors and whole packets of channels, otherwise by "
          "unfolding",
          "[tensor][conv]") {
    using fedpp::detail::WindowGeometry;
    const auto geometry = [](const ImageShape& image, Index out_channels, const Window2d& w) {
        return WindowGeometry{image, fedpp::conv2d_output_shape(image, out_channels, w), w};
    };
    constexpr bool wide = fedpp::detail::wide_packets<float> && fedpp::detail::simd_fused_multiply_add;
    // 16 channels to 16, 3x3, on 16x16 images: taken wherever vectors are wide.
    const auto small = geometry({16, 16, 16}, 16, Window2d{3, 1, 1});
    CHECK(fedpp::detail::direct_convolution_applies<float>(small) == wide);
    CHECK(fedpp::detail::direct_weight_gradient_applies<float>(small) == wide);
    CHECK(fedpp::detail::direct_input_gradient_applies<float>(small) == wide);
    // Stride 2; a padding as large as the kernel (for the input gradient);
    // 3 channels; 18,432 taps of 64 channels (4.7 MB per pass with AVX-512,
    // 1.2 MB with AVX2), beyond a quarter of any level-2 cache: never.
    const auto strided = geometry({16, 16, 16}, 16, Window2d{3, 2, 1});
    CHECK_FALSE(fedpp::detail::direct_convolution_applies<float>(strided));
    CHECK_FALSE(fedpp::detail::direct_weight_gradient_applies<float>(strided));
    CHECK_FALSE(fedpp::detail::direct_input_gradient_applies<float>(strided));
    CHECK_FALSE(fedpp::detail::direct_input_gradient_applies<float>(geometry({16, 16, 16}, 16, Window2d{3, 1, 3})));
    CHECK_FALSE(fedpp::detail::direct_convolution_applies<float>(geometry({16, 16, 16}, 3, Window2d{3, 1, 1})));
    CHECK_FALSE(fedpp::detail::direct_input_gradient_applies<float>(geometry({3, 16, 16}, 16, Window2d{3, 1, 1})));
    CHECK_FALSE(fedpp::detail::direct_convolution_applies<float>(geometry({2048, 3, 3}, 64, Window2d{3, 1, 1})));
}

TEMPLATE_TEST_CASE("the direct kernels' transposition equals Eigen's, for every shape around the packet width",
                   "[tensor][conv]", float, double) {
    // Whole square blocks, rows and columns left over, and both at once;
    // rows 4 KB apart (1,024 floats), the case it is there for.
    for (const Index rows : {0, 1, 3, 4, 7, 8, 15, 16, 17, 32, 33, 64}) {
        for (const Index columns : {0, 1, 5, 8, 16, 19, 32, 49, 1024}) {
            const auto seed = static_cast<std::uint64_t>(rows * 1031 + columns);
            const auto from = uniform_matrix<TestType>(rows, columns, seed);
            fedpp::Matrix<TestType> to = fedpp::Matrix<TestType>::Constant(columns, rows, TestType(-7));
            fedpp::detail::transpose_into(from.data(), rows, columns, to.data());
            INFO(rows << " x " << columns);
            CHECK(to == from.transpose());
        }
    }
}

TEST_CASE("max_pool2d equals its definition, and treats ties, NaN and -inf as PyTorch does", "[tensor][conv]") {
    const std::vector<std::pair<ImageShape, Window2d>> cases{
        {{2, 28, 28}, {2, 2, 0}}, {{1, 7, 5}, {3, 2, 1}}, {{3, 5, 8}, {{2, 3}, {1, 2}, {1, 1}}}, {{1, 5, 5}, {2, 2, 0}}};
    std::uint64_t seed = 50;
    for (const auto& [image, window] : cases) {
        const auto x = uniform_matrix<double>(3, image.size(), seed++);
        const auto y = fedpp::max_pool2d(Tensor<double>(x), image, window);
        CHECK(y.value() == pool_by_definition(x, image, window));
    }
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // One 1x2x4 image, 2x2 windows: {5, 5 | 1, 2} and {-inf, -inf | nan, 3}.
    Tensor<double> x({{5, 5, -inf, -inf, 1, 2, nan, 3}}, true);
    const auto y = fedpp::max_pool2d(x, ImageShape{1, 2, 4}, Window2d{2, 2, 0});
    CHECK(y.value()(0, 0) == 5);
    CHECK(std::isnan(y.value()(0, 1)));
    y.backward(fedpp::Matrix<double>{{10, 20}});
    // The tie goes to the first 5; the NaN takes the second window's gradient.
    CHECK(x.grad() == fedpp::Matrix<double>{{10, 0, 0, 0, 0, 0, 20, 0}});

    Tensor<double> all_minus_inf({{-inf, -inf, -inf, -inf}}, true);
    const auto z = fedpp::max_pool2d(all_minus_inf, ImageShape{1, 2, 2}, Window2d{2});
    CHECK(z.value()(0, 0) == -inf);
    z.sum().backward();
    CHECK(all_minus_inf.grad() == fedpp::Matrix<double>{{1, 0, 0, 0}}); // the first position, as PyTorch
}

namespace {
/// max_pool2d with 2x2 windows (stride 2) on 3 images of `image` against a
/// scan of each window in order (take v if v > best or v is NaN: the first
/// of equals, the last NaN): the values' bits, and the input gradient's
/// bits, each window's gradient (a -0 arriving as +0, as 0 + g) at the
/// position picked and +0 everywhere else.
template <class T>
void check_pool_2x2_against_scan(const ImageShape& image, std::uint64_t seed) {
    const T nan = std::numeric_limits<T>::quiet_NaN();
    // Values from a small set, so that most windows hold ties, NaNs or zeros of both signs.
    const std::vector<T> set{T(-0.0), T(0.0), T(1), T(1), T(2), nan, -std::numeric_limits<T>::infinity()};
    const Window2d window{2, 2, 0};
    const ImageShape out = fedpp::max_pool2d_output_shape(image, window);
    fedpp::Generator generator(seed);
    fedpp::Matrix<T> x(3, image.size());
    for (Index i = 0; i < x.size(); ++i) {
        x.data()[i] = set[generator.below(set.size())];
    }
    fedpp::Matrix<T> expected_value(x.rows(), out.size());
    fedpp::Matrix<T> expected_gradient = fedpp::Matrix<T>::Zero(x.rows(), x.cols());
    fedpp::Matrix<T> gradient(x.rows(), out.size());
    for (Index n = 0; n < x.rows(); ++n) {
        for (Index o = 0; o < out.size(); ++o) {
            const Index c = o / (out.height * out.width);
            const Index oy = o / out.width % out.height;
            const Index ox = o % out.width;
            Index best_at = (c * image.height + 2 * oy) * image.width + 2 * ox;
            for (const Index at : {best_at + 1, best_at + image.width, best_at + image.width + 1}) {
                const T v = x(n, at);
                best_at = v > x(n, best_at) || std::isnan(v) ? at : best_at;
            }
            expected_value(n, o) = x(n, best_at);
            gradient(n, o) = o % 5 == 0 ? T(-0.0) : static_cast<T>(1 + n * out.size() + o);
            expected_gradient(n, best_at) = T(0) + gradient(n, o);
        }
    }
    Tensor<T> input(x, true);
    const auto y = fedpp::max_pool2d(input, image, window);
    CHECK(std::memcmp(y.value().data(), expected_value.data(), sizeof(T) * expected_value.size()) == 0);
    {
        // Freed just before the backward allocates the input's gradient, most
        // likely in the same block: a value the backward leaves unset shows.
        const fedpp::Matrix<T> dirt = fedpp::Matrix<T>::Constant(x.rows(), x.cols(), nan);
        CHECK(std::isnan(dirt(0, 0)));
    }
    y.backward(gradient);
    REQUIRE(input.grad().size() == expected_gradient.size());
    CHECK(std::memcmp(input.grad().data(), expected_gradient.data(), sizeof(T) * expected_gradient.size()) == 0);
}
} // namespace

TEST_CASE("max_pool2d's 2x2 windows pick and send the gradient as a scan in window order does", "[tensor][conv]") {
    // Rows of 17, 14, 8, 7, 5, 4, 3, 2 and 1 windows (the kernels take rows
    // in chunks of 8, 4 or 1, the last one overlapping the one before), odd
    // heights and widths among them (a last row or column no window covers).
    const std::vector<ImageShape> images{{1, 2, 34}, {1, 4, 28}, {1, 5, 17}, {2, 6, 14}, {2, 7, 11},
                                         {2, 6, 8},  {1, 5, 7},  {1, 3, 5},  {2, 2, 2}};
    std::uint64_t seed = 77;
    for (const ImageShape& image : images) {
        CAPTURE(image.to_string());
        check_pool_2x2_against_scan<double>(image, seed++);
        check_pool_2x2_against_scan<float>(image, seed++);
    }
}

TEST_CASE("conv2d and max_pool2d say what shape they expected", "[tensor][conv]") {
    const Tensor<float> x = Tensor<float>::zeros(2, 700);
    const Tensor<float> w = Tensor<float>::zeros(4, 25);
    const Tensor<float> b = Tensor<float>::zeros(1, 4);
    const ImageShape mnist{1, 28, 28};
    CHECK_THROWS_WITH(fedpp::conv2d(x, mnist, w, b, Window2d{5}),
                      Catch::Contains("the input is 2x700 but images of 1x28x28 need 784 columns"));
    const Tensor<float> images = Tensor<float>::zeros(2, 784);
    CHECK_THROWS_WITH(fedpp::conv2d(images, mnist, Tensor<float>::zeros(4, 24), b, Window2d{5}),
                      Catch::Contains("the weight is 4x24, expected 4x25"));
    CHECK_THROWS_WITH(fedpp::conv2d(images, mnist, w, Tensor<float>::zeros(1, 3), Window2d{5}),
                      Catch::Contains("the bias is 1x3, expected 1x4"));
    CHECK_THROWS_WITH(fedpp::conv2d(images, mnist, Tensor<float>::zeros(4, 29 * 29), b, Window2d{29}),
                      Catch::Contains("larger than the height of the padded input"));
    CHECK_THROWS_AS(fedpp::conv2d(images, mnist, w, b, Window2d{5, 0}), fedpp::ShapeError);
    CHECK_THROWS_AS(fedpp::conv2d(images, mnist, w, b, Window2d{5, 1, -1}), fedpp::ShapeError);
    CHECK_THROWS_AS(fedpp::conv2d(images, ImageShape{0, 28, 28}, w, b, Window2d{5}), fedpp::ShapeError);
    CHECK_THROWS_WITH(fedpp::max_pool2d(x, mnist, Window2d{2, 2}),
                      Catch::Contains("the input is 2x700 but images of 1x28x28 need 784 columns"));
    CHECK_THROWS_WITH(fedpp::max_pool2d(images, mnist, Window2d{2, 2, 2}),
                      Catch::Contains("at most half the kernel"));
    CHECK_THROWS_AS(fedpp::conv2d_output_shape(ImageShape{1 << 30, 1 << 30, 1 << 30}, 1, Window2d{1}),
                    fedpp::ShapeError); // C*H*W does not fit
}

TEST_CASE("conv2d and max_pool2d record nothing under NoGradGuard, and the same values", "[tensor][conv]") {
    const ImageShape image{2, 6, 6};
    const Tensor<double> x(uniform_matrix<double>(2, image.size(), 7), true);
    const Tensor<double> w(uniform_matrix<double>(3, 18, 8), true);
    const Tensor<double> b(uniform_matrix<double>(1, 3, 9), true);
    const auto recorded = fedpp::max_pool2d(fedpp::conv2d(x, image, w, b, Window2d{3, 1, 1}), {3, 6, 6}, {2});
    CHECK(std::string(recorded.op_name()) == "max_pool2d"); // no StringMaker<string_view> needed
    const fedpp::NoGradGuard values_only;
    const auto plain = fedpp::max_pool2d(fedpp::conv2d(x, image, w, b, Window2d{3, 1, 1}), {3, 6, 6}, {2});
    CHECK(plain.is_leaf());
    CHECK_FALSE(plain.requires_grad());
    CHECK(plain.value() == recorded.value());
}

TEST_CASE("dropout drops a fraction p, scales the rest by 1/(1-p), and its mask is the generator's", "[tensor][dropout]") {
    Tensor<double> x(fedpp::Matrix<double>::Constant(200, 500, 3.0), true);
    for (const double p : {0.1, 0.5, 0.8}) {
        fedpp::Generator generator(42);
        const auto y = fedpp::dropout(x, p, generator);
        const auto dropped = (y.value().array() == 0).count();
        const auto kept = (y.value().array() == 3.0 * (1.0 / (1 - p))).count();
        CHECK(dropped + kept == x.size()); // every value is 0 or scaled
        const double rate = static_cast<double>(dropped) / static_cast<double>(x.size());
        CHECK(std::abs(rate - p) < 0.01); // 100,000 draws: the standard deviation is below 0.0016
        // The mask is one uniform01() draw per value, in row-major order.
        fedpp::Generator replay(42);
        bool same = true;
        for (Index i = 0; i < x.size(); ++i) {
            same = same && ((replay.uniform01() < p) == (y.value().data()[i] == 0));
        }
        CHECK(same);
        CHECK(generator == replay); // and nothing else was drawn
        y.sum().backward();
        CHECK(x.grad() == (y.value().array() / 3.0).matrix()); // the gradient is the mask
        x.zero_grad();
    }
    fedpp::Generator generator(1);
    const fedpp::Generator untouched = generator;
    CHECK(fedpp::dropout(x, 0.0, generator).same_as(x)); // p = 0: the input itself, no draws
    CHECK((fedpp::dropout(x, 1.0, generator).value().array() == 0).all());
    CHECK(generator == untouched);
    CHECK_THROWS_AS(fedpp::dropout(x, 1.5, generator), fedpp::ArgumentError);
    CHECK_THROWS_AS(fedpp::dropout(x, -0.1, generator), fedpp::ArgumentError);
    CHECK_THROWS_AS(fedpp::dropout(x, std::nan(""), generator), fedpp::ArgumentError);
}
