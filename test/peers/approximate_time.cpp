// Peer harness: runs ROS 1 message_filters' C++ ApproximateTime policy (Debian package
// libmessage-filters-dev) on a stamps document and prints the sets it emits, so drivetrain's
// `approximate` policy can be compared with it set by set.
//
// Usage: approximate_time QUEUE_SIZE MAX_INTERVAL_NS AGE_PENALTY LOWER_BOUNDS_NS [--timing] < stamps.json
//        approximate_time --batch < cases
//   MAX_INTERVAL_NS: integer nanoseconds, or "none" for ros::DURATION_MAX
//   AGE_PENALTY:     decimal, parsed with strtod
//   LOWER_BOUNDS_NS: comma-separated integer nanoseconds, one per stream
// Input:  {"streams":[{"name":"cam","messages":[{"stamp":"…","logTime":"…"},…]},…]}
// Output: {"sets":[["<stamp>",…],…]} and, with --timing, "elapsedNs" for the feed loop alone
//         and "maxRssKb", the peak resident memory of the process.
// Batch:  pairs of lines, the four arguments separated by spaces and then a stamps document on
//         one line; one output line per pair ({"error":"…"} for a case the policy rejects).

#include <message_filters/synchronizer.h>
#include <message_filters/sync_policies/approximate_time.h>

#include <algorithm>
#include <chrono>
#include <sys/resource.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

struct StampedMsg {
  struct {
    ros::Time stamp;
  } header;
};

namespace ros {
namespace message_traits {
template <>
struct TimeStamp<StampedMsg> {
  static ros::Time* pointer(StampedMsg& m) { return &m.header.stamp; }
  static ros::Time const* pointer(const StampedMsg& m) { return &m.header.stamp; }
  static ros::Time value(const StampedMsg& m) { return m.header.stamp; }
};
}  // namespace message_traits
}  // namespace ros

using MsgPtr = boost::shared_ptr<StampedMsg const>;
using Event = ros::MessageEvent<StampedMsg const>;

// ---- a minimal reader for the stamps document (objects, arrays, strings, numbers) ----

struct Input {
  std::string text;
  size_t pos = 0;

  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("stamps document: " + what + " at byte " + std::to_string(pos));
  }
  void ws() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t')) pos++;
  }
  bool peek(char c) {
    ws();
    return pos < text.size() && text[pos] == c;
  }
  void expect(char c) {
    ws();
    if (pos >= text.size() || text[pos] != c) fail(std::string("expected '") + c + "'");
    pos++;
  }
  std::string str() {
    expect('"');
    std::string out;
    while (pos < text.size() && text[pos] != '"') {
      if (text[pos] == '\\') pos++;
      out.push_back(text[pos++]);
    }
    expect('"');
    return out;
  }
  void skipValue() {
    ws();
    if (peek('"')) {
      str();
    } else if (peek('{')) {
      expect('{');
      if (!peek('}')) {
        do {
          str();
          expect(':');
          skipValue();
        } while (peek(',') && (expect(','), true));
      }
      expect('}');
    } else if (peek('[')) {
      expect('[');
      if (!peek(']')) {
        do skipValue();
        while (peek(',') && (expect(','), true));
      }
      expect(']');
    } else {
      while (pos < text.size() && std::string(",}] \n\r\t").find(text[pos]) == std::string::npos) pos++;
    }
  }
};

struct Message {
  uint64_t stamp;
  uint64_t logTime;
  uint32_t stream;
  uint32_t index;
};

uint64_t parseNs(const std::string& s) {
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error("not a decimal nanosecond count: " + s);
  return std::stoull(s);
}

std::vector<Message> readStreams(Input& in, size_t& streamCount) {
  std::vector<Message> messages;
  streamCount = 0;
  in.expect('{');
  bool sawStreams = false;
  while (!in.peek('}')) {
    std::string key = in.str();
    in.expect(':');
    if (key != "streams") {
      in.skipValue();
    } else {
      sawStreams = true;
      in.expect('[');
      while (!in.peek(']')) {
        uint32_t stream = streamCount++;
        in.expect('{');
        while (!in.peek('}')) {
          std::string field = in.str();
          in.expect(':');
          if (field != "messages") {
            in.skipValue();
          } else {
            in.expect('[');
            uint32_t index = 0;
            while (!in.peek(']')) {
              Message m{0, 0, stream, index++};
              in.expect('{');
              while (!in.peek('}')) {
                std::string name = in.str();
                in.expect(':');
                if (name == "stamp") m.stamp = parseNs(in.str());
                else if (name == "logTime") m.logTime = parseNs(in.str());
                else in.skipValue();
                if (in.peek(',')) in.expect(',');
              }
              in.expect('}');
              messages.push_back(m);
              if (in.peek(',')) in.expect(',');
            }
            in.expect(']');
          }
          if (in.peek(',')) in.expect(',');
        }
        in.expect('}');
        if (in.peek(',')) in.expect(',');
      }
      in.expect(']');
    }
    if (in.peek(',')) in.expect(',');
  }
  in.expect('}');
  if (!sawStreams) in.fail("no \"streams\" field");
  return messages;
}

// ---- running the policy for N streams ----

std::vector<std::vector<uint64_t>> g_sets;

template <typename... P>
void onSet(P... msgs) {
  g_sets.push_back({msgs->header.stamp.toNSec()...});
}

template <int N>
struct PolicyFor;
using message_filters::NullType;
using message_filters::sync_policies::ApproximateTime;
using M = StampedMsg;
template <> struct PolicyFor<2> { using type = ApproximateTime<M, M>; };
template <> struct PolicyFor<3> { using type = ApproximateTime<M, M, M>; };
template <> struct PolicyFor<4> { using type = ApproximateTime<M, M, M, M>; };
template <> struct PolicyFor<5> { using type = ApproximateTime<M, M, M, M, M>; };
template <> struct PolicyFor<6> { using type = ApproximateTime<M, M, M, M, M, M>; };
template <> struct PolicyFor<7> { using type = ApproximateTime<M, M, M, M, M, M, M>; };
template <> struct PolicyFor<8> { using type = ApproximateTime<M, M, M, M, M, M, M, M>; };
template <> struct PolicyFor<9> { using type = ApproximateTime<M, M, M, M, M, M, M, M, M>; };

template <int N, typename... P>
struct Callback {
  static auto get() { return Callback<N - 1, const MsgPtr&, P...>::get(); }
};
template <typename... P>
struct Callback<0, P...> {
  static auto get() { return &onSet<P...>; }
};

ros::Duration durationFromNs(int64_t ns) {
  ros::Duration d;
  d.fromNSec(ns);
  return d;
}

template <int N>
int64_t run(const std::vector<Message>& messages, uint32_t queueSize, const std::string& maxInterval,
            double agePenalty, const std::vector<int64_t>& lowerBounds) {
  using Policy = typename PolicyFor<N>::type;
  Policy policy(queueSize);
  if (maxInterval != "none") policy.setMaxIntervalDuration(durationFromNs(std::stoll(maxInterval)));
  policy.setAgePenalty(agePenalty);
  for (int i = 0; i < N; i++) policy.setInterMessageLowerBound(i, durationFromNs(lowerBounds[i]));
  message_filters::Synchronizer<Policy> sync(policy);
  sync.registerCallback(Callback<N>::get());

  std::vector<Event> events;
  events.reserve(messages.size());
  for (const Message& m : messages) {
    auto msg = boost::make_shared<StampedMsg>();
    msg->header.stamp.fromNSec(m.stamp);
    events.emplace_back(MsgPtr(msg), ros::Time().fromNSec(m.logTime));
  }

  auto start = std::chrono::steady_clock::now();
  for (size_t k = 0; k < messages.size(); k++) {
    const Event& e = events[k];
    switch (messages[k].stream) {
      case 0: sync.template add<0>(e); break;
      case 1: sync.template add<1>(e); break;
      case 2: if constexpr (N > 2) sync.template add<2>(e); break;
      case 3: if constexpr (N > 3) sync.template add<3>(e); break;
      case 4: if constexpr (N > 4) sync.template add<4>(e); break;
      case 5: if constexpr (N > 5) sync.template add<5>(e); break;
      case 6: if constexpr (N > 6) sync.template add<6>(e); break;
      case 7: if constexpr (N > 7) sync.template add<7>(e); break;
      case 8: if constexpr (N > 8) sync.template add<8>(e); break;
    }
  }
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
}

std::string runCase(const std::vector<std::string>& args, std::string document, bool timing) {
  if (args.size() < 4) throw std::runtime_error("expected QUEUE_SIZE MAX_INTERVAL_NS AGE_PENALTY LOWER_BOUNDS_NS");
  uint32_t queueSize = static_cast<uint32_t>(std::stoul(args[0]));
  const std::string& maxInterval = args[1];
  double agePenalty = std::strtod(args[2].c_str(), nullptr);
  std::vector<int64_t> lowerBounds;
  std::stringstream bounds(args[3]);
  for (std::string item; std::getline(bounds, item, ',');) lowerBounds.push_back(std::stoll(item));

  Input in{std::move(document)};
  size_t streamCount = 0;
  std::vector<Message> messages = readStreams(in, streamCount);
  if (streamCount < 2 || streamCount > 9) throw std::runtime_error("ApproximateTime takes 2 to 9 streams");
  if (lowerBounds.size() != streamCount) throw std::runtime_error("one lower bound per stream expected");
  std::stable_sort(messages.begin(), messages.end(), [](const Message& a, const Message& b) {
    if (a.logTime != b.logTime) return a.logTime < b.logTime;
    if (a.stream != b.stream) return a.stream < b.stream;
    return a.index < b.index;
  });

  g_sets.clear();
  int64_t elapsed = 0;
  switch (streamCount) {
    case 2: elapsed = run<2>(messages, queueSize, maxInterval, agePenalty, lowerBounds); break;
    case 3: elapsed = run<3>(messages, queueSize, maxInterval, agePenalty, lowerBounds); break;
    case 4: elapsed = run<4>(messages, queueSize, maxInterval, agePenalty, lowerBounds); break;
    case 5: elapsed = run<5>(messages, queueSize, maxInterval, agePenalty, lowerBounds); break;
    case 6: elapsed = run<6>(messages, queueSize, maxInterval, agePenalty, lowerBounds); break;
    case 7: elapsed = run<7>(messages, queueSize, maxInterval, agePenalty, lowerBounds); break;
    case 8: elapsed = run<8>(messages, queueSize, maxInterval, agePenalty, lowerBounds); break;
    case 9: elapsed = run<9>(messages, queueSize, maxInterval, agePenalty, lowerBounds); break;
  }

  std::string out = "{\"sets\":[";
  for (size_t s = 0; s < g_sets.size(); s++) {
    if (s > 0) out += ',';
    out += '[';
    for (size_t i = 0; i < g_sets[s].size(); i++) {
      if (i > 0) out += ',';
      out += '"' + std::to_string(g_sets[s][i]) + '"';
    }
    out += ']';
  }
  out += ']';
  if (timing) {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    out += ",\"elapsedNs\":" + std::to_string(elapsed) + ",\"messages\":" + std::to_string(messages.size()) +
           ",\"maxRssKb\":" + std::to_string(usage.ru_maxrss);
  }
  out += "}\n";
  return out;
}

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string(argv[1]) == "--batch") {
      for (std::string line, document; std::getline(std::cin, line) && std::getline(std::cin, document);) {
        std::vector<std::string> args;
        std::stringstream words(line);
        for (std::string word; words >> word;) args.push_back(word);
        std::string out;
        try {
          out = runCase(args, document, false);
        } catch (const std::exception& e) {
          out = std::string("{\"error\":\"") + e.what() + "\"}\n";
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fflush(stdout);
      }
      return 0;
    }
    std::vector<std::string> args(argv + 1, argv + std::min(argc, 5));
    bool timing = argc > 5 && std::string(argv[5]) == "--timing";
    std::string document(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
    std::string out = runCase(args, std::move(document), timing);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "approximate_time: %s\n", e.what());
    return 2;
  }
}
