// The console's HTTP(S) server over libmicrohttpd (see http_server.h for why this library and
// what it does under load).
//
// How a request goes: libmicrohttpd's event loop reads the header (after the TLS handshake,
// in HTTPS) and the body; the access handler then suspends the connection and hands the
// request to a worker; the worker runs the router and resumes the connection; the loop calls
// the access handler again, which queues the response. A watchdog thread shuts down any
// connection past the deadline of the phase it is in.
#include "http_server.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdarg>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace remiss::console::http {

namespace {

using Clock = std::chrono::steady_clock;

// Where a connection is; each phase but kHandling has a deadline.
enum class Phase { kHeader, kBody, kHandling, kWriting, kShutDown };

// One per connection (libmicrohttpd's socket context).
struct Connection {
  MHD_Connection* mhd = nullptr;
  int fd = -1;
  Phase phase = Phase::kHeader;
  Clock::time_point since = Clock::now();
};

// One per request (libmicrohttpd's request context).
struct Exchange {
  std::string target;
  bool started = false, dispatched = false;
  bool done = false;  // written by the worker before it resumes the connection
  Request req;
  Response res;
};

class ServerImpl final : public Server {
 public:
  ServerImpl(const ServerOptions& o, std::shared_ptr<const Router> router) : o_(o), router_(std::move(router)) {}
  ~ServerImpl() override { Stop(); }

  absl::Status Start();
  int port() const override { return port_; }

 private:
  static void Log(void* cls, const char* format, va_list ap);
  static void NotifyConnection(void* cls, MHD_Connection* c, void** socket_context, MHD_ConnectionNotificationCode code);
  static void* UriLog(void* cls, const char* uri, MHD_Connection* c);
  static void Completed(void* cls, MHD_Connection* c, void** con_cls, MHD_RequestTerminationCode code);
  static MHD_Result Access(void* cls, MHD_Connection* c, const char* url, const char* method, const char* version,
                           const char* upload_data, size_t* upload_data_size, void** con_cls);

  MHD_Result OnAccess(MHD_Connection* c, const char* method, const char* upload_data, size_t* upload_data_size,
                      Exchange* x);
  MHD_Result Queue(MHD_Connection* c, const Response& res, bool close);
  bool PeerIsTheClient(MHD_Connection* c) const;
  void SetPhase(MHD_Connection* c, Phase p);
  void Watch();
  void Work();
  void Stop();

  const ServerOptions o_;
  const std::shared_ptr<const Router> router_;
  MHD_Daemon* daemon_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;

  std::mutex log_mu_;
  std::string start_log_;  // libmicrohttpd's messages while starting (then dropped)
  bool started_ = false;

  std::mutex conn_mu_;  // connections_ and every Connection's phase
  std::set<Connection*> connections_;

  std::mutex work_mu_;
  std::condition_variable work_cv_;
  std::deque<std::pair<MHD_Connection*, Exchange*>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::mutex watch_mu_;  // the watchdog's own, so a job's wake-up never goes to it
  std::condition_variable watch_cv_;
  bool watch_stop_ = false;
  std::thread watchdog_;
};

void ServerImpl::Log(void* cls, const char* format, va_list ap) {
  auto* self = static_cast<ServerImpl*>(cls);
  std::lock_guard<std::mutex> lock(self->log_mu_);
  if (self->started_) return;  // per-connection noise (failed handshakes, resets)
  char line[512];
  vsnprintf(line, sizeof line, format, ap);
  absl::StrAppend(&self->start_log_, absl::StripAsciiWhitespace(line), "; ");
}

void ServerImpl::NotifyConnection(void* cls, MHD_Connection* c, void** socket_context,
                                  MHD_ConnectionNotificationCode code) {
  auto* self = static_cast<ServerImpl*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    auto* conn = new Connection;
    conn->mhd = c;
    if (const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)) {
      conn->fd = i->connect_fd;
      // TLS records go out in several writes: without this, Nagle's algorithm waits for the
      // client's delayed ACK (~40 ms a handshake).
      const int on = 1;
      setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    *socket_context = conn;
    std::lock_guard<std::mutex> lock(self->conn_mu_);
    self->connections_.insert(conn);
  } else if (*socket_context != nullptr) {
    // Before libmicrohttpd closes the socket: the watchdog, holding conn_mu_, never shuts
    // down a descriptor that was closed (and perhaps reused).
    auto* conn = static_cast<Connection*>(*socket_context);
    std::lock_guard<std::mutex> lock(self->conn_mu_);
    self->connections_.erase(conn);
    delete conn;
    *socket_context = nullptr;
  }
}

void* ServerImpl::UriLog(void*, const char* uri, MHD_Connection*) {
  auto* x = new Exchange;
  x->target = uri == nullptr ? "" : uri;
  return x;
}

void ServerImpl::Completed(void* cls, MHD_Connection* c, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<Exchange*>(*con_cls);
  *con_cls = nullptr;
  static_cast<ServerImpl*>(cls)->SetPhase(c, Phase::kHeader);  // the next request's header, on keep-alive
}

void ServerImpl::SetPhase(MHD_Connection* c, Phase p) {
  const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  if (i == nullptr || i->socket_context == nullptr) return;
  auto* conn = static_cast<Connection*>(i->socket_context);
  std::lock_guard<std::mutex> lock(conn_mu_);
  if (conn->phase == Phase::kShutDown) return;
  conn->phase = p;
  conn->since = Clock::now();
}

MHD_Result ServerImpl::Access(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                              const char* upload_data, size_t* upload_data_size, void** con_cls) {
  if (*con_cls == nullptr) {  // not seen by UriLog (it always is; to be safe)
    auto* x = new Exchange;
    x->target = url == nullptr ? "" : url;
    *con_cls = x;
  }
  return static_cast<ServerImpl*>(cls)->OnAccess(c, method, upload_data, upload_data_size,
                                                 static_cast<Exchange*>(*con_cls));
}

bool ServerImpl::PeerIsTheClient(MHD_Connection* c) const {
  const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (i == nullptr || i->tls_session == nullptr) return false;
  auto session = static_cast<gnutls_session_t>(i->tls_session);
  // The chain up to client_ca, the certificate's use (TLS client), and the name.
  gnutls_typed_vdata_st checks[2] = {
      {GNUTLS_DT_DNS_HOSTNAME, reinterpret_cast<unsigned char*>(const_cast<char*>(o_.client_name.c_str())), 0},
      {GNUTLS_DT_KEY_PURPOSE_OID, reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT)), 0},
  };
  unsigned int status = 0;
  return gnutls_certificate_verify_peers(session, checks, 2, &status) == GNUTLS_E_SUCCESS && status == 0;
}

MHD_Result ServerImpl::Queue(MHD_Connection* c, const Response& res, bool close) {
  MHD_Response* r = MHD_create_response_from_buffer(res.body.size(), const_cast<char*>(res.body.data()),
                                                    MHD_RESPMEM_MUST_COPY);
  if (r == nullptr) return MHD_NO;
  for (const auto& [k, v] : res.headers) MHD_add_response_header(r, k.c_str(), v.c_str());
  if (close) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  SetPhase(c, Phase::kWriting);
  const MHD_Result ok = MHD_queue_response(c, static_cast<unsigned int>(res.status), r);
  MHD_destroy_response(r);
  return ok;
}

MHD_Result ServerImpl::OnAccess(MHD_Connection* c, const char* method, const char* upload_data,
                                size_t* upload_data_size, Exchange* x) {
  if (!x->started) {  // the header is in
    x->started = true;
    SetPhase(c, Phase::kBody);
    if (!o_.client_ca.empty() && !PeerIsTheClient(c)) {
      Response refused;
      refused.status = 403;
      refused.SetContent("Bara den främre proxyn (med sitt klientcertifikat) når konsolen.\n",
                         "text/plain; charset=utf-8");
      return Queue(c, refused, /*close=*/true);
    }
    Request& req = x->req;
    req.method = method == nullptr ? "" : method;
    req.target = x->target;
    const size_t q = req.target.find('?');
    req.path = PercentDecode(absl::string_view(req.target).substr(0, q), false);
    if (q != std::string::npos) req.params = ParseUrlEncoded(absl::string_view(req.target).substr(q + 1));
    MHD_get_connection_values(
        c, MHD_HEADER_KIND,
        [](void* cls, MHD_ValueKind, const char* key, const char* value) {
          static_cast<Request*>(cls)->headers.emplace_back(key == nullptr ? "" : key, value == nullptr ? "" : value);
          return MHD_YES;
        },
        &req);
    if (const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) {
      char text[INET6_ADDRSTRLEN] = {0};
      const sockaddr* a = i->client_addr;
      if (a != nullptr && a->sa_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, text, sizeof text);
      } else if (a != nullptr && a->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, text, sizeof text);
      }
      req.remote_address = text;
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {  // a piece of the body
    if (!x->req.body_too_large) {
      if (x->req.body.size() + *upload_data_size > o_.max_body_bytes) {
        x->req.body_too_large = true;
        std::string().swap(x->req.body);
      } else {
        x->req.body.append(upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (x->done) return Queue(c, x->res, /*close=*/false);  // back from the worker
  if (x->dispatched) return MHD_YES;
  // The whole request is in: to a worker, the connection suspended meanwhile.
  x->dispatched = true;
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    if (!stopping_) {
      SetPhase(c, Phase::kHandling);
      MHD_suspend_connection(c);
      jobs_.emplace_back(c, x);
      work_cv_.notify_one();
      return MHD_YES;
    }
  }
  Response unavailable;
  unavailable.status = 503;
  unavailable.SetContent("Konsolen stängs.\n", "text/plain; charset=utf-8");
  return Queue(c, unavailable, /*close=*/true);
}

void ServerImpl::Work() {
  for (;;) {
    std::pair<MHD_Connection*, Exchange*> job;
    {
      std::unique_lock<std::mutex> lock(work_mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every suspended connection resumed
      job = jobs_.front();
      jobs_.pop_front();
    }
    auto [c, x] = job;
    router_->Serve(x->req, x->res);
    x->done = true;
    MHD_resume_connection(c);
  }
}

void ServerImpl::Watch() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(watch_mu_);
      if (watch_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return watch_stop_; })) return;
    }
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> conns(conn_mu_);
    for (Connection* conn : connections_) {
      std::chrono::milliseconds limit{0};
      switch (conn->phase) {
        case Phase::kHeader: limit = o_.header_deadline; break;
        case Phase::kBody: limit = o_.body_deadline; break;
        case Phase::kWriting: limit = o_.write_deadline; break;
        case Phase::kHandling:
        case Phase::kShutDown: continue;
      }
      if (now - conn->since <= limit || conn->fd < 0) continue;
      // libmicrohttpd sees the end of the stream at its next read or write and closes the
      // connection itself (it still owns the descriptor).
      shutdown(conn->fd, SHUT_RDWR);
      conn->phase = Phase::kShutDown;
    }
  }
}

absl::Status ServerImpl::Start() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(o_.port);
  if (getaddrinfo(o_.host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", o_.host));
  }
  bool ipv6 = false;
  for (addrinfo* a = found; a != nullptr && listen_fd_ < 0; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1024) == 0) {
      listen_fd_ = fd;
      ipv6 = a->ai_family == AF_INET6;
    } else {
      close(fd);
    }
  }
  freeaddrinfo(found);
  if (listen_fd_ < 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", o_.host, ":", o_.port, " (port in use?)"));
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  if (ipv6) flags |= MHD_USE_IPv6;
  const bool tls = !o_.tls_cert.empty();
  if (tls) flags |= MHD_USE_TLS;
  std::vector<MHD_OptionItem> opts = {
      {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&ServerImpl::Log), this},
      {MHD_OPTION_LISTEN_SOCKET, listen_fd_, nullptr},
      // Two event loops (the machine's cores): TLS handshakes are the one CPU cost in them.
      {MHD_OPTION_THREAD_POOL_SIZE, 2, nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, o_.max_connections, nullptr},
      {MHD_OPTION_PER_IP_CONNECTION_LIMIT, o_.max_connections_per_peer, nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, o_.idle_timeout_seconds, nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, nullptr},  // the request header must fit
      {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&ServerImpl::NotifyConnection), this},
      {MHD_OPTION_URI_LOG_CALLBACK, reinterpret_cast<intptr_t>(&ServerImpl::UriLog), this},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&ServerImpl::Completed), this},
  };
  if (tls) {
    opts.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(o_.tls_cert.c_str())});
    opts.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(o_.tls_key.c_str())});
    if (!o_.client_ca.empty()) opts.push_back({MHD_OPTION_HTTPS_MEM_TRUST, 0, const_cast<char*>(o_.client_ca.c_str())});
    opts.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0,
                    const_cast<char*>("NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2")});
  }
  opts.push_back({MHD_OPTION_END, 0, nullptr});
  // The pool first: the loop may hand it requests as soon as it runs.
  for (int i = 0; i < o_.worker_threads; ++i) workers_.emplace_back([this] { Work(); });
  watchdog_ = std::thread([this] { Watch(); });
  daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &ServerImpl::Access, this, MHD_OPTION_ARRAY, opts.data(),
                             MHD_OPTION_END);
  std::lock_guard<std::mutex> lock(log_mu_);
  started_ = true;
  if (daemon_ == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the HTTP server did not start", start_log_.empty() ? "" : ": ", start_log_));
  }
  return absl::OkStatus();
}

void ServerImpl::Stop() {
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  // Every running handler finishes and resumes its connection before the loop stops.
  for (std::thread& t : workers_) t.join();
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    watch_stop_ = true;
  }
  watch_cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  if (daemon_ != nullptr) {
    const MHD_socket fd = MHD_quiesce_daemon(daemon_);
    MHD_stop_daemon(daemon_);
    if (fd != MHD_INVALID_SOCKET) close(fd);
    listen_fd_ = -1;
  }
  if (listen_fd_ >= 0) close(listen_fd_);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> StartServer(const ServerOptions& options, std::shared_ptr<const Router> router) {
  auto server = std::make_unique<ServerImpl>(options, std::move(router));
  if (absl::Status s = server->Start(); !s.ok()) return s;
  return server;
}

}  // namespace remiss::console::http
