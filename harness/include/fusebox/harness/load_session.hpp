#pragma once
// What the load asks and what it makes of the answers, apart from how requests travel: the
// live generator (an Asio pool of keep-alive connections) and the virtual-time runner (a
// scheduled delivery) drive the same session. It releases the arrival plan's requests as
// they fall due, turns each into a merchant API call (refunds, queries and closes pick an earlier
// order when they are sent), classifies each answer for the recorder, keeps the book of earlier
// orders, and sends idempotency probes after the first answer. Pure and single-threaded.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fusebox/harness/load.hpp"

namespace fusebox::harness {

// Requests waiting for a free connection, at most; past it a request fails at once as a
// transport error ("generator queue full"), in the live pool and in sim mode alike.
inline constexpr std::size_t kMaxQueuedRequests = 100'000;

// How one exchange with the merchant API ended, as the transport saw it.
struct ExchangeResult {
  enum class Kind : std::uint8_t { answered, timeout, transport_error } kind = Kind::answered;
  int status = 0;
  std::string_view body;  // valid until the handler returns
  std::string error;      // for a timeout or transport error
};

// One request on its way. Probes and final fetches are not part of the plan: the recorder
// does not count them as load, only what they reveal.
struct PendingRequest {
  enum class Kind : std::uint8_t { planned, duplicate_probe, conflict_probe, final_fetch };
  Kind kind = Kind::planned;
  PlannedRequest planned;  // op after fallback; at_ns is the planned instant
  std::string merchant_order_id, payment_id, channel, expected_payment_id;
  std::int64_t amount = 0;
  std::uint64_t refund_number = 0;  // a refund's merchant_refund_id is "<id_prefix>-r<n>"
  bool get = false;                 // GET (a query), else POST
};

// A payment as GET /v1/payments/{id} shows it, for a driver that reads it in process
// (sim mode's final fetch) instead of over the merchant API. Views valid for the call.
struct PaymentShown {
  std::string_view payment_id, merchant_order_id, channel, status;
  std::int64_t amount = 0;
};

// The merchant API call a request becomes (docs/GATEWAY.md).
struct MerchantCall {
  bool get = false;
  std::string target;  // "/v1/payments", "/v1/payments/{id}/close" ...
  std::string body;    // "" for GET and close
};

class LoadSession {
 public:
  // `submit` sends a request outside the plan (a probe), `now` reads the driver's clock
  // (ns since the start of the load).
  using Submit = std::function<void(PendingRequest)>;
  using Now = std::function<TimeNs()>;
  LoadSession(const LoadSpec& load, std::uint64_t seed, std::string id_prefix, Recorder& recorder,
              Submit submit, Now now);
  ~LoadSession();
  LoadSession(const LoadSession&) = delete;
  LoadSession& operator=(const LoadSession&) = delete;

  // The open-loop schedule (the load's ArrivalPlan): every planned request due at `now_ns`
  // (ns since the start of the load) is resolved, counted as planned and handed to `submit`.
  // Returns the next planned instant; nullopt once the plan is done.
  std::optional<TimeNs> release_due(TimeNs now_ns);
  [[nodiscard]] std::optional<TimeNs> next_planned() const;
  // A request leaving at `now_ns`. One that waited past its planned instant plus `timeout_ns`
  // is answered as a timeout that never left (expired); a planned one is counted sent, and
  // late when it is.
  enum class Departure : std::uint8_t { expired, sent, sent_late, probe };
  Departure depart(const PendingRequest& pending, TimeNs now_ns, TimeNs timeout_ns);
  // Writes the call into reused buffers (no allocation once they have grown).
  void write_call(const PendingRequest& pending, MerchantCall& call) const;
  // Everything an answer means. `sent_ns` < 0: it never left. Returns the outcome recorded
  // for a planned request (probes and fetches return nullopt).
  std::optional<Outcome> handle(const PendingRequest& pending, TimeNs sent_ns,
                                const ExchangeResult& result);
  // After the run: a GET for every payment id seen, a slice at a time; false when done.
  [[nodiscard]] bool next_fetch(PendingRequest& out);
  // A final fetch answered in process: what handle() makes of that GET's 200 answer.
  void handle_fetched(const PendingRequest& fetch, const PaymentShown& payment);
  [[nodiscard]] bool fetch_left() const;  // next_fetch would give one
  void restart_fetches();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fusebox::harness
