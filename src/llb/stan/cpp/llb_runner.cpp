// llb_runner: a small C interface to one Stan model, for Python's ctypes.
//
// Compiled once per toolchain and linked unchanged into every model library. A library holds one
// model or several compiled together (compile.py); each registers its factory under its name when the
// library is loaded (llb_register_model, called from llb_model_parts.hpp), and llb_model_create picks
// one by name. Every entry point catches all C++ exceptions and reports them through a caller-owned
// error buffer, so nothing thrown in a model (an untrusted program) crosses into Python.
//
// Layout conventions shared with llb/model.py:
// - "unconstrained" vectors have num_unconstrained() entries, in Stan's unconstrained order;
// - "constrained" vectors are in write_array order (parameters, then transformed parameters, then
//   generated quantities; each variable flattened column-major).

#include <stan/callbacks/interrupt.hpp>
#include <stan/callbacks/logger.hpp>
#include <stan/callbacks/structured_writer.hpp>
#include <stan/callbacks/writer.hpp>
#include <stan/io/array_var_context.hpp>
#include <stan/io/empty_var_context.hpp>
#include <stan/io/json/json_data.hpp>
#include <stan/model/log_prob_grad.hpp>
#include <stan/model/log_prob_propto.hpp>
#include <stan/model/model_base.hpp>
#include <stan/services/sample/fixed_param.hpp>
#include <stan/services/sample/hmc_nuts_dense_e.hpp>
#include <stan/services/sample/hmc_nuts_dense_e_adapt.hpp>
#include <stan/services/sample/hmc_nuts_diag_e.hpp>
#include <stan/services/sample/hmc_nuts_diag_e_adapt.hpp>
#include <stan/services/util/create_rng.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using llb_model_factory = stan::model::model_base* (*)(stan::io::var_context&, unsigned int, std::ostream*);

namespace {

constexpr int kAbiVersion = 4;
constexpr std::size_t kMessageLimit = 64 * 1024;
constexpr int kNumSamplerColumns = 7;  // lp__, accept_stat__, stepsize__, treedepth__, n_leapfrog__,
                                       // divergent__, energy__

// Text printed by a model (print(), reject(), warnings), kept up to a fixed size so that a program
// printing in a loop cannot exhaust memory.
class CappedText {
 public:
  void append(const std::string& text) {
    if (text.empty()) return;
    if (text_.size() >= kMessageLimit) {
      truncated_ = true;
      return;
    }
    std::size_t room = kMessageLimit - text_.size();
    text_.append(text, 0, room);
    if (text.size() > room) truncated_ = true;
    if (text_.empty() || text_.back() != '\n') text_.push_back('\n');
  }
  std::string str() const { return truncated_ ? text_ + "[further messages truncated]\n" : text_; }
  void clear() {
    text_.clear();
    truncated_ = false;
  }

 private:
  std::string text_;
  bool truncated_ = false;
};

class CappedLogger : public stan::callbacks::logger {
 public:
  explicit CappedLogger(CappedText& text) : text_(text) {}
  void debug(const std::string&) override {}
  void debug(const std::stringstream&) override {}
  void info(const std::string& m) override { text_.append(m); }
  void info(const std::stringstream& m) override { text_.append(m.str()); }
  void warn(const std::string& m) override { text_.append(m); }
  void warn(const std::stringstream& m) override { text_.append(m.str()); }
  void error(const std::string& m) override {
    text_.append(m);
    last_error_ = m;
  }
  void error(const std::stringstream& m) override { error(m.str()); }
  void fatal(const std::string& m) override { error(m); }
  void fatal(const std::stringstream& m) override { error(m.str()); }
  const std::string& last_error() const { return last_error_; }

 private:
  CappedText& text_;
  std::string last_error_;
};

// Copies pieces of each numeric row into a preallocated row-major buffer; ignores headers and text.
// A piece is (source offset, destination column, count).
struct RowPiece {
  std::size_t source, dest, count;
};

class RowWriter : public stan::callbacks::writer {
 public:
  RowWriter(double* out, std::size_t max_rows, std::size_t width, std::vector<RowPiece> pieces)
      : out_(out), max_rows_(max_rows), width_(width), pieces_(std::move(pieces)) {}
  using stan::callbacks::writer::operator();
  void operator()(const std::vector<double>& row) override {
    if (out_ == nullptr || rows_ >= max_rows_) return;
    double* dest = out_ + rows_ * width_;
    for (const RowPiece& piece : pieces_) {
      if (row.size() < piece.source + piece.count)
        throw std::runtime_error("llb runner: short output row");
      std::memcpy(dest + piece.dest, row.data() + piece.source, piece.count * sizeof(double));
    }
    ++rows_;
  }
  std::size_t rows() const { return rows_; }

 private:
  double* out_;
  std::size_t max_rows_, width_;
  std::vector<RowPiece> pieces_;
  std::size_t rows_ = 0;
};

// Receives the adapted step size and inverse metric at the end of warmup.
class AdaptationWriter : public stan::callbacks::structured_writer {
 public:
  AdaptationWriter(double* stepsize, double* inv_metric, std::size_t dim)
      : stepsize_(stepsize), inv_metric_(inv_metric), dim_(dim) {}
  using stan::callbacks::structured_writer::write;
  void write(const std::string& key, double value) override {
    if (key == "stepsize" && stepsize_ != nullptr) *stepsize_ = value;
  }
  void write(const std::string& key, const Eigen::VectorXd& vec) override {
    if (key == "inv_metric" && inv_metric_ != nullptr && static_cast<std::size_t>(vec.size()) == dim_)
      std::memcpy(inv_metric_, vec.data(), dim_ * sizeof(double));
  }
  void write(const std::string& key, const Eigen::MatrixXd& mat) override {  // a dense metric: dim x dim
    if (key == "inv_metric" && inv_metric_ != nullptr && static_cast<std::size_t>(mat.size()) == dim_)
      std::memcpy(inv_metric_, mat.data(), dim_ * sizeof(double));
  }

 private:
  double* stepsize_;
  double* inv_metric_;
  std::size_t dim_;
};

// NUTS whose warmup adapts the step size alone and keeps the metric it is given: for a refit whose
// metric is estimated from an earlier fit's draws, which a warmup window of a few hundred
// iterations would only estimate worse.
template <class Plain, class Adapting>
class StepsizeOnlyNuts : public Adapting {
 public:
  using Adapting::Adapting;
  stan::mcmc::sample transition(stan::mcmc::sample& init_sample, stan::callbacks::logger& logger) override {
    stan::mcmc::sample s = Plain::transition(init_sample, logger);
    if (this->adapt_flag_) this->stepsize_adaptation_.learn_stepsize(this->nom_epsilon_, s.accept_stat());
    return s;
  }
};

using DiagStepsizeOnly = StepsizeOnlyNuts<stan::mcmc::diag_e_nuts<stan::model::model_base, stan::rng_t>,
                                          stan::mcmc::adapt_diag_e_nuts<stan::model::model_base, stan::rng_t>>;
using DenseStepsizeOnly = StepsizeOnlyNuts<stan::mcmc::dense_e_nuts<stan::model::model_base, stan::rng_t>,
                                           stan::mcmc::adapt_dense_e_nuts<stan::model::model_base, stan::rng_t>>;

// As Stan's hmc_nuts_*_adapt services (same initialisation, dual averaging constants and writers),
// with Sampler one of the step-size-only samplers above.
template <class Sampler, class Metric>
int sample_with_fixed_metric(stan::model::model_base& model, const stan::io::var_context& init,
                             const Metric& metric, unsigned int seed, unsigned int chain,
                             double init_radius, int num_warmup, int num_draws, double stepsize,
                             int max_depth, double delta, stan::callbacks::interrupt& interrupt,
                             stan::callbacks::logger& logger, stan::callbacks::writer& init_writer,
                             stan::callbacks::writer& sample_writer,
                             stan::callbacks::writer& diagnostic_writer,
                             stan::callbacks::structured_writer& metric_writer) {
  stan::rng_t rng = stan::services::util::create_rng(seed, chain);
  std::vector<double> cont_vector;
  try {
    cont_vector = stan::services::util::initialize(model, init, rng, init_radius, true, logger, init_writer);
  } catch (const std::exception& e) {
    logger.error(e.what());
    return stan::services::error_codes::CONFIG;
  }
  Sampler sampler(model, rng);
  sampler.set_metric(metric);
  sampler.set_nominal_stepsize(stepsize);
  sampler.set_stepsize_jitter(0.0);
  sampler.set_max_depth(max_depth);
  sampler.get_stepsize_adaptation().set_mu(std::log(10 * stepsize));
  sampler.get_stepsize_adaptation().set_delta(delta);
  sampler.get_stepsize_adaptation().set_gamma(0.05);
  sampler.get_stepsize_adaptation().set_kappa(0.75);
  sampler.get_stepsize_adaptation().set_t0(10.0);
  try {
    stan::services::util::run_adaptive_sampler(sampler, model, cont_vector, num_warmup, num_draws, 1, 0, false,
                                               rng, interrupt, logger, sample_writer, diagnostic_writer,
                                               metric_writer);
  } catch (const std::exception& e) {
    logger.error(e.what());
    return stan::services::error_codes::SOFTWARE;
  }
  return stan::services::error_codes::OK;
}

class DeadlineInterrupt : public stan::callbacks::interrupt {
 public:
  explicit DeadlineInterrupt(double max_seconds)
      : start_(std::chrono::steady_clock::now()), max_seconds_(max_seconds) {}
  void operator()() override {
    if (max_seconds_ <= 0) return;
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    if (elapsed.count() > max_seconds_) {
      expired_ = true;
      throw std::runtime_error("sampling exceeded its time limit");
    }
  }
  bool expired() const { return expired_; }

 private:
  std::chrono::steady_clock::time_point start_;
  double max_seconds_;
  bool expired_ = false;
};

void set_error(char* buf, std::size_t len, const std::string& message) {
  if (buf == nullptr || len == 0) return;
  std::size_t n = std::min(len - 1, message.size());
  std::memcpy(buf, message.data(), n);
  buf[n] = '\0';
}

std::string join_dims(const std::vector<std::string>& names,
                      const std::vector<std::vector<size_t>>& dims) {
  // "name:d1,d2;name2:;..." (an empty dim list is a scalar)
  std::ostringstream out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out << ';';
    out << names[i] << ':';
    for (std::size_t j = 0; j < dims[i].size(); ++j) {
      if (j > 0) out << ',';
      out << dims[i][j];
    }
  }
  return out.str();
}

std::string join(const std::vector<std::string>& items) {
  std::ostringstream out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out << ',';
    out << items[i];
  }
  return out.str();
}

struct RegisteredModel {
  std::string name;
  llb_model_factory factory;
};

// The models of this library, in the order their translation units were initialised.
std::vector<RegisteredModel>& registered_models() {
  static std::vector<RegisteredModel> models;
  return models;
}

// The factory of the model called `name`, or of the library's only model when `name` is empty.
llb_model_factory find_factory(const char* name) {
  const std::vector<RegisteredModel>& models = registered_models();
  if (name == nullptr || *name == '\0') {
    if (models.size() == 1) return models.front().factory;
    throw std::runtime_error("llb runner: the library holds " + std::to_string(models.size()) +
                             " models; name the one to load");
  }
  for (const RegisteredModel& model : models)
    if (model.name == name) return model.factory;
  throw std::runtime_error(std::string("llb runner: the library holds no model named ") + name);
}

}  // namespace

// Declared in llb_model_parts.hpp; each model's translation unit calls it from a static initialiser.
int llb_register_model(const char* name, llb_model_factory factory) {
  registered_models().push_back({name, factory});
  return static_cast<int>(registered_models().size());
}

struct llb_model {
  stan::model::model_base* model = nullptr;
  CappedText messages;
  std::string text_result;  // backing store for strings returned to Python
};

extern "C" {

int llb_abi_version() { return kAbiVersion; }

int llb_sampler_columns() { return kNumSamplerColumns; }

// Names of the library's models, comma separated.
const char* llb_model_names() {
  static std::string names;
  std::vector<std::string> items;
  for (const RegisteredModel& model : registered_models()) items.push_back(model.name);
  names = join(items);
  return names.c_str();
}

// The model `name` (empty: the library's only model) constructed with its data.
llb_model* llb_model_create(const char* name, const char* data_json, unsigned int seed, char* err,
                            std::size_t err_len) {
  llb_model* handle = nullptr;
  try {
    llb_model_factory factory = find_factory(name);
    handle = new llb_model();
    std::istringstream in(data_json == nullptr ? "{}" : data_json);
    stan::json::json_data data(in);
    std::ostringstream msgs;
    handle->model = factory(data, seed, &msgs);
    handle->messages.append(msgs.str());
    return handle;
  } catch (const std::exception& e) {
    set_error(err, err_len, e.what());
  } catch (...) {
    set_error(err, err_len, "unknown C++ exception while constructing the model");
  }
  delete handle;
  return nullptr;
}

void llb_model_destroy(llb_model* m) {
  if (m == nullptr) return;
  delete m->model;
  delete m;
}

const char* llb_model_name(llb_model* m) {
  m->text_result = m->model->model_name();
  return m->text_result.c_str();
}

const char* llb_messages(llb_model* m) {
  m->text_result = m->messages.str();
  m->messages.clear();
  return m->text_result.c_str();
}

int llb_num_unconstrained(llb_model* m) { return static_cast<int>(m->model->num_params_r()); }

// Variables and their dimensions, e.g. "mu:;theta:8" (see join_dims).
const char* llb_variables(llb_model* m, int include_tp, int include_gq) {
  std::vector<std::string> names;
  std::vector<std::vector<size_t>> dims;
  m->model->get_param_names(names, include_tp != 0, include_gq != 0);
  m->model->get_dims(dims, include_tp != 0, include_gq != 0);
  m->text_result = join_dims(names, dims);
  return m->text_result.c_str();
}

// Stan's flat names in write_array order, e.g. "mu,theta.1,theta.2".
const char* llb_constrained_names(llb_model* m, int include_tp, int include_gq) {
  std::vector<std::string> names;
  m->model->constrained_param_names(names, include_tp != 0, include_gq != 0);
  m->text_result = join(names);
  return m->text_result.c_str();
}

const char* llb_unconstrained_names(llb_model* m) {
  std::vector<std::string> names;
  m->model->unconstrained_param_names(names, false, false);
  m->text_result = join(names);
  return m->text_result.c_str();
}

int llb_num_constrained(llb_model* m, int include_tp, int include_gq) {
  std::vector<std::string> names;
  m->model->constrained_param_names(names, include_tp != 0, include_gq != 0);
  return static_cast<int>(names.size());
}

// Log density at an unconstrained point. propto=0 keeps every constant; jacobian=1 adds the log
// Jacobian of the constraining transform. grad may be null.
int llb_log_density(llb_model* m, const double* theta_unc, int propto, int jacobian, double* lp,
                    double* grad, char* err, std::size_t err_len) {
  try {
    const int n = static_cast<int>(m->model->num_params_r());
    Eigen::VectorXd theta = Eigen::Map<const Eigen::VectorXd>(theta_unc, n);
    std::ostringstream msgs;
    if (grad != nullptr) {
      Eigen::VectorXd g(n);
      double value;
      if (propto)
        value = jacobian ? stan::model::log_prob_grad<true, true>(*m->model, theta, g, &msgs)
                         : stan::model::log_prob_grad<true, false>(*m->model, theta, g, &msgs);
      else
        value = jacobian ? stan::model::log_prob_grad<false, true>(*m->model, theta, g, &msgs)
                         : stan::model::log_prob_grad<false, false>(*m->model, theta, g, &msgs);
      std::memcpy(grad, g.data(), n * sizeof(double));
      *lp = value;
    } else if (propto) {
      *lp = jacobian ? stan::model::log_prob_propto<true>(*m->model, theta, &msgs)
                     : stan::model::log_prob_propto<false>(*m->model, theta, &msgs);
    } else {
      *lp = jacobian ? m->model->log_prob_jacobian(theta, &msgs) : m->model->log_prob(theta, &msgs);
    }
    m->messages.append(msgs.str());
    return 0;
  } catch (const std::exception& e) {
    stan::math::recover_memory();
    set_error(err, err_len, e.what());
  } catch (...) {
    stan::math::recover_memory();
    set_error(err, err_len, "unknown C++ exception in log density");
  }
  return 1;
}

// Fully normalised log density (propto=0, with Jacobian) at n unconstrained points stored row-major.
// A point the model rejects (a domain error: outside the support, reject()) gets -inf; any other
// failure stops the batch and is reported.
int llb_log_density_batch(llb_model* m, int n, const double* thetas, double* lps, char* err,
                          std::size_t err_len) {
  const int dim = static_cast<int>(m->model->num_params_r());
  for (int i = 0; i < n; ++i) {
    try {
      Eigen::VectorXd theta = Eigen::Map<const Eigen::VectorXd>(thetas + static_cast<std::size_t>(i) * dim, dim);
      lps[i] = m->model->log_prob_jacobian(theta, nullptr);
      if (std::isnan(lps[i])) lps[i] = -std::numeric_limits<double>::infinity();
    } catch (const std::domain_error&) {
      lps[i] = -std::numeric_limits<double>::infinity();
    } catch (const std::exception& e) {
      set_error(err, err_len, e.what());
      return 1;
    } catch (...) {
      set_error(err, err_len, "unknown C++ exception in log density");
      return 1;
    }
  }
  return 0;
}

// Unconstrained point -> constrained values (write_array order); seed drives generated quantities.
int llb_constrain(llb_model* m, const double* theta_unc, int include_tp, int include_gq,
                  unsigned int seed, double* out, char* err, std::size_t err_len) {
  try {
    const int n = static_cast<int>(m->model->num_params_r());
    Eigen::VectorXd theta = Eigen::Map<const Eigen::VectorXd>(theta_unc, n);
    Eigen::VectorXd values;
    stan::rng_t rng = stan::services::util::create_rng(seed, 0);
    std::ostringstream msgs;
    m->model->write_array(rng, theta, values, include_tp != 0, include_gq != 0, &msgs);
    m->messages.append(msgs.str());
    std::memcpy(out, values.data(), values.size() * sizeof(double));
    return 0;
  } catch (const std::exception& e) {
    set_error(err, err_len, e.what());
  } catch (...) {
    set_error(err, err_len, "unknown C++ exception in constrain");
  }
  return 1;
}

// Constrained parameter values (parameters only, write_array order) -> unconstrained point.
int llb_unconstrain(llb_model* m, const double* theta, double* theta_unc, char* err, std::size_t err_len) {
  try {
    const int n_con = llb_num_constrained(m, 0, 0);
    Eigen::VectorXd constrained = Eigen::Map<const Eigen::VectorXd>(theta, n_con);
    Eigen::VectorXd unc;
    std::ostringstream msgs;
    m->model->unconstrain_array(constrained, unc, &msgs);
    m->messages.append(msgs.str());
    std::memcpy(theta_unc, unc.data(), unc.size() * sizeof(double));
    return 0;
  } catch (const std::exception& e) {
    set_error(err, err_len, e.what());
  } catch (...) {
    set_error(err, err_len, "unknown C++ exception in unconstrain");
  }
  return 1;
}

// One chain of Stan's NUTS with a diagonal (dense = 0) or dense (dense = 1) metric, from random
// inits in (-r, r), or warm: from the unconstrained point init_unc with step size init_stepsize and
// inverse metric init_inv_metric (each may be null / non-positive: Stan's defaults). Warmup adapts
// the step size and, with adapt_metric, the metric in Stan's windows (as CmdStan does); without it
// the given metric is kept. With no warmup, no adapt_metric and a step size, nothing is adapted: the
// chain goes on with the step size and metric given.
// draws: num_draws x (7 + num_constrained(1,1)) row-major, sampler columns first;
// unc_draws: num_draws x num_unconstrained; the metrics: num_unconstrained values (diagonal) or
// num_unconstrained^2 (dense, symmetric). Returns 0 on success, 2 if the time limit ran out, 1 on
// any other failure (message in err).
int llb_sample_nuts(llb_model* m, unsigned int seed, unsigned int chain, int num_warmup,
                    int num_draws, int max_depth, double adapt_delta, double init_radius,
                    double max_seconds, int dense, int adapt_metric, const double* init_unc, double init_stepsize,
                    const double* init_inv_metric, double* draws, double* unc_draws, double* stepsize,
                    double* inv_metric, char* err, std::size_t err_len) {
  try {
    const std::size_t n_unc = m->model->num_params_r();
    const std::size_t width = kNumSamplerColumns + llb_num_constrained(m, 1, 1);
    stan::io::empty_var_context no_init;
    std::unique_ptr<stan::io::array_var_context> warm_init;
    if (init_unc != nullptr && n_unc > 0) {  // Stan initialises from constrained values, by name
      Eigen::VectorXd theta = Eigen::Map<const Eigen::VectorXd>(init_unc, n_unc);
      Eigen::VectorXd values;
      stan::rng_t rng = stan::services::util::create_rng(seed, chain);
      std::ostringstream msgs;
      m->model->write_array(rng, theta, values, false, false, &msgs);
      std::vector<std::string> names;
      std::vector<std::vector<std::size_t>> dims;
      m->model->get_param_names(names, false, false);
      m->model->get_dims(dims, false, false);
      std::vector<double> flat(values.data(), values.data() + values.size());
      warm_init = std::make_unique<stan::io::array_var_context>(names, flat, dims);
    }
    const stan::io::var_context& init = warm_init ? static_cast<const stan::io::var_context&>(*warm_init) : no_init;
    const std::size_t metric_size = dense ? n_unc * n_unc : n_unc;
    std::vector<double> metric_values(metric_size, 0.0);  // Stan's default: the identity
    if (init_inv_metric != nullptr) {
      std::copy(init_inv_metric, init_inv_metric + metric_size, metric_values.begin());
    } else {
      for (std::size_t i = 0; i < n_unc; ++i) metric_values[dense ? i * n_unc + i : i] = 1.0;
    }
    const std::vector<std::size_t> metric_dims = dense ? std::vector<std::size_t>{n_unc, n_unc} : std::vector<std::size_t>{n_unc};
    stan::io::array_var_context init_metric(std::vector<std::string>{"inv_metric"}, metric_values,
                                            std::vector<std::vector<std::size_t>>{metric_dims});
    const double first_stepsize = init_stepsize > 0 ? init_stepsize : 1.0;
    CappedLogger logger(m->messages);
    DeadlineInterrupt interrupt(max_seconds);
    std::size_t rows = 0;
    stan::callbacks::writer init_writer;
    AdaptationWriter adaptation(stepsize, inv_metric, metric_size);
    int rc;
    if (n_unc == 0) {
      // Nothing to sample (only generated quantities): Stan's fixed_param sampler, whose rows hold
      // lp__ and accept_stat__ and then the model's values; other sampler columns stay zero.
      std::fill(draws, draws + static_cast<std::size_t>(num_draws) * width, 0.0);
      RowWriter sample_writer(draws, num_draws, width,
                              {{0, 0, 2}, {2, kNumSamplerColumns, width - kNumSamplerColumns}});
      stan::callbacks::writer diagnostic_writer;
      rc = stan::services::sample::fixed_param(*m->model, init, seed, chain, init_radius, num_draws,
                                               1, 0, interrupt, logger, init_writer, sample_writer,
                                               diagnostic_writer);
      rows = sample_writer.rows();
    } else {
      RowWriter sample_writer(draws, num_draws, width, {{0, 0, width}});
      // diagnostic rows: 7 sampler columns, then q (unconstrained position), p, g
      RowWriter diagnostic_writer(unc_draws, num_draws, n_unc, {{kNumSamplerColumns, 0, n_unc}});
      // defaults as in CmdStan (unless warm): stepsize 1, unit metric, jitter 0, gamma 0.05, kappa 0.75,
      // t0 10, buffers 75/50/25
      if (num_warmup == 0 && !adapt_metric && init_stepsize > 0) {
        // No warmup, the step size and metric given: Stan's NUTS without adaptation, so that a chain
        // started where an earlier one ended goes on as that chain would have (a continuation).
        if (dense) {
          rc = stan::services::sample::hmc_nuts_dense_e(
              *m->model, init, init_metric, seed, chain, init_radius, 0, num_draws, 1, false, 0, init_stepsize, 0.0,
              max_depth, interrupt, logger, init_writer, sample_writer, diagnostic_writer);
        } else {
          rc = stan::services::sample::hmc_nuts_diag_e(
              *m->model, init, init_metric, seed, chain, init_radius, 0, num_draws, 1, false, 0, init_stepsize, 0.0,
              max_depth, interrupt, logger, init_writer, sample_writer, diagnostic_writer);
        }
        if (stepsize != nullptr) *stepsize = init_stepsize;
        if (inv_metric != nullptr) std::copy(metric_values.begin(), metric_values.end(), inv_metric);
      } else if (adapt_metric && !dense) {
        rc = stan::services::sample::hmc_nuts_diag_e_adapt(
            *m->model, init, init_metric, seed, chain, init_radius, num_warmup, num_draws, 1, false, 0, first_stepsize, 0.0,
            max_depth, adapt_delta, 0.05, 0.75, 10.0, 75, 50, 25, interrupt, logger, init_writer,
            sample_writer, diagnostic_writer, adaptation);
      } else if (adapt_metric) {
        rc = stan::services::sample::hmc_nuts_dense_e_adapt(
            *m->model, init, init_metric, seed, chain, init_radius, num_warmup, num_draws, 1, false, 0, first_stepsize, 0.0,
            max_depth, adapt_delta, 0.05, 0.75, 10.0, 75, 50, 25, interrupt, logger, init_writer,
            sample_writer, diagnostic_writer, adaptation);
      } else if (!dense) {
        Eigen::VectorXd metric = stan::services::util::read_diag_inv_metric(init_metric, n_unc, logger);
        stan::services::util::validate_diag_inv_metric(metric, logger);
        rc = sample_with_fixed_metric<DiagStepsizeOnly>(
            *m->model, init, metric, seed, chain, init_radius, num_warmup, num_draws, first_stepsize, max_depth,
            adapt_delta, interrupt, logger, init_writer, sample_writer, diagnostic_writer, adaptation);
      } else {
        Eigen::MatrixXd metric = stan::services::util::read_dense_inv_metric(init_metric, n_unc, logger);
        stan::services::util::validate_dense_inv_metric(metric, logger);
        rc = sample_with_fixed_metric<DenseStepsizeOnly>(
            *m->model, init, metric, seed, chain, init_radius, num_warmup, num_draws, first_stepsize, max_depth,
            adapt_delta, interrupt, logger, init_writer, sample_writer, diagnostic_writer, adaptation);
      }
      rows = sample_writer.rows();
    }
    if (interrupt.expired()) {
      set_error(err, err_len, "sampling exceeded its time limit");
      return 2;
    }
    if (rc != 0) {
      std::string reason = logger.last_error().empty() ? "sampler failed" : logger.last_error();
      set_error(err, err_len, reason);
      return 1;
    }
    if (rows != static_cast<std::size_t>(num_draws)) {
      set_error(err, err_len, "sampler wrote fewer draws than requested");
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    set_error(err, err_len, e.what());
  } catch (...) {
    set_error(err, err_len, "unknown C++ exception in sampler");
  }
  return 1;
}

}  // extern "C"
