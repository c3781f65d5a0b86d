// fmt's compiled part, built into the agent: Debian ships libfmt only as a shared library, and
// mapping it (plus the libstdc++.so it pulls in) cost ~0.6 MiB of resident memory per agent
// (docs/performance.md, "Issue 13: the agent's own link line"). This is what fmt's src/format.cc
// compiles: the out-of-line functions of format-inl.h and the explicit instantiations for char.
// Every other translation unit keeps using fmt as a compiled library (no FMT_HEADER_ONLY), so this
// costs one translation unit of build time, not a heavier compile of each of the 29 that log.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;

#ifndef FMT_STATIC_THOUSANDS_SEPARATOR
template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
#endif

template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API void buffer<char>::append(const char*, const char*);
template FMT_API void vformat_to(buffer<char>&, string_view, basic_format_args<FMT_BUFFER_CONTEXT(char)>,
                                 locale_ref);

}  // namespace detail
FMT_END_NAMESPACE
