"""The Stan side: the toolchain (stanc, headers, compiler), contained processes, validation with
stanc, compilation with a cache, the compiled model's bindings, data checks, and NUTS sampling through
llb's C++ runner."""
