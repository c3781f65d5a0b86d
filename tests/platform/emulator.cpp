#include "tests/platform/emulator.hpp"

#include "tests/platform/platform.hpp"

namespace platform {

Emulator::Emulator(Config config) : impl_(std::make_unique<Platform>(std::move(config))) {}
Emulator::~Emulator() = default;
Outcome Emulator::handle(const HttpRequest& req) { return impl_->handle(req); }
HttpResponse Emulator::handle_without_faults(const HttpRequest& req) { return impl_->handle_without_faults(req); }
void Emulator::note_connection() { impl_->note_connection(); }

}  // namespace platform
