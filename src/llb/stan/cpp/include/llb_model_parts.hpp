// The definitions of model_base_crtp's virtual functions (declared in stan/model/model_base_crtp.hpp
// on llb's include path), included after stanc's C++ for one or more programs with LLB_MODEL_GRADIENT
// and LLB_MODEL_VALUES each defined as 0 or 1. A one-model library is linked either from one
// translation unit that defines both groups or from two, compiled at the same time, that define one
// each; a library of several models from units that each define both groups for some of them.
//
// Compile time is spent instantiating the model's templates, so each is instantiated as few times as
// the results allow:
// - on autodiff variables only with propto=true (with and without the Jacobian). The full log density
//   (propto=false) differs from it by terms that do not depend on the parameters, so its gradient is
//   the same; its value is the double evaluation below, attached to the propto=true gradient.
// - on doubles only with propto=false. With propto=true Stan's double evaluation would drop every
//   term (no autodiff argument is left to keep it), so the propto=true value is computed as
//   stan::model::log_prob_propto does: on autodiff variables, in a nested autodiff scope.
// - the std::vector overloads copy into Eigen vectors and call the Eigen versions.
#ifndef LLB_MODEL_PARTS_HPP
#define LLB_MODEL_PARTS_HPP

#include <cstddef>
#include <ostream>
#include <vector>

namespace stan {
namespace model {
namespace llb_parts {

template <typename T>
Eigen::Matrix<T, -1, 1> to_eigen(const std::vector<T>& values) {
  Eigen::Matrix<T, -1, 1> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) out(i) = values[i];
  return out;
}

inline void to_std(const Eigen::VectorXd& values, std::vector<double>& out) {
  out.assign(values.data(), values.data() + values.size());
}

// `propto` (a log density without constant terms, on autodiff variables) shifted to the value `full`.
inline math::var with_value(const math::var& propto, double full) { return propto + (full - propto.val()); }

}  // namespace llb_parts

#if LLB_MODEL_GRADIENT

template <typename M>
math::var model_base_crtp<M>::log_prob_propto(Eigen::Matrix<math::var, -1, 1>& theta, std::ostream* msgs) const {
  return derived().template log_prob<true, false>(theta, msgs);
}
template <typename M>
math::var model_base_crtp<M>::log_prob_propto_jacobian(Eigen::Matrix<math::var, -1, 1>& theta,
                                                        std::ostream* msgs) const {
  return derived().template log_prob<true, true>(theta, msgs);
}
template <typename M>
math::var model_base_crtp<M>::log_prob(Eigen::Matrix<math::var, -1, 1>& theta, std::ostream* msgs) const {
  math::var propto = log_prob_propto(theta, msgs);
  Eigen::VectorXd values = math::value_of(theta);
  return llb_parts::with_value(propto, log_prob(values, msgs));
}
template <typename M>
math::var model_base_crtp<M>::log_prob_jacobian(Eigen::Matrix<math::var, -1, 1>& theta, std::ostream* msgs) const {
  math::var propto = log_prob_propto_jacobian(theta, msgs);
  Eigen::VectorXd values = math::value_of(theta);
  return llb_parts::with_value(propto, log_prob_jacobian(values, msgs));
}
template <typename M>
math::var model_base_crtp<M>::log_prob(std::vector<math::var>& theta, std::vector<int>&, std::ostream* msgs) const {
  Eigen::Matrix<math::var, -1, 1> v = llb_parts::to_eigen(theta);
  return log_prob(v, msgs);
}
template <typename M>
math::var model_base_crtp<M>::log_prob_jacobian(std::vector<math::var>& theta, std::vector<int>&,
                                                 std::ostream* msgs) const {
  Eigen::Matrix<math::var, -1, 1> v = llb_parts::to_eigen(theta);
  return log_prob_jacobian(v, msgs);
}
template <typename M>
math::var model_base_crtp<M>::log_prob_propto(std::vector<math::var>& theta, std::vector<int>&,
                                               std::ostream* msgs) const {
  Eigen::Matrix<math::var, -1, 1> v = llb_parts::to_eigen(theta);
  return log_prob_propto(v, msgs);
}
template <typename M>
math::var model_base_crtp<M>::log_prob_propto_jacobian(std::vector<math::var>& theta, std::vector<int>&,
                                                        std::ostream* msgs) const {
  Eigen::Matrix<math::var, -1, 1> v = llb_parts::to_eigen(theta);
  return log_prob_propto_jacobian(v, msgs);
}

#endif  // LLB_MODEL_GRADIENT

#if LLB_MODEL_VALUES

template <typename M>
double model_base_crtp<M>::log_prob(Eigen::VectorXd& theta, std::ostream* msgs) const {
  return derived().template log_prob<false, false>(theta, msgs);
}
template <typename M>
double model_base_crtp<M>::log_prob_jacobian(Eigen::VectorXd& theta, std::ostream* msgs) const {
  return derived().template log_prob<false, true>(theta, msgs);
}
template <typename M>
double model_base_crtp<M>::log_prob_propto(Eigen::VectorXd& theta, std::ostream* msgs) const {
  math::nested_rev_autodiff nested;
  Eigen::Matrix<math::var, -1, 1> v = theta.cast<math::var>();
  return log_prob_propto(v, msgs).val();
}
template <typename M>
double model_base_crtp<M>::log_prob_propto_jacobian(Eigen::VectorXd& theta, std::ostream* msgs) const {
  math::nested_rev_autodiff nested;
  Eigen::Matrix<math::var, -1, 1> v = theta.cast<math::var>();
  return log_prob_propto_jacobian(v, msgs).val();
}
template <typename M>
double model_base_crtp<M>::log_prob(std::vector<double>& theta, std::vector<int>&, std::ostream* msgs) const {
  Eigen::VectorXd v = llb_parts::to_eigen(theta);
  return log_prob(v, msgs);
}
template <typename M>
double model_base_crtp<M>::log_prob_jacobian(std::vector<double>& theta, std::vector<int>&, std::ostream* msgs) const {
  Eigen::VectorXd v = llb_parts::to_eigen(theta);
  return log_prob_jacobian(v, msgs);
}
template <typename M>
double model_base_crtp<M>::log_prob_propto(std::vector<double>& theta, std::vector<int>&, std::ostream* msgs) const {
  Eigen::VectorXd v = llb_parts::to_eigen(theta);
  return log_prob_propto(v, msgs);
}
template <typename M>
double model_base_crtp<M>::log_prob_propto_jacobian(std::vector<double>& theta, std::vector<int>&,
                                                     std::ostream* msgs) const {
  Eigen::VectorXd v = llb_parts::to_eigen(theta);
  return log_prob_propto_jacobian(v, msgs);
}
template <typename M>
void model_base_crtp<M>::write_array(stan::rng_t& rng, Eigen::VectorXd& theta, Eigen::VectorXd& vars,
                                     bool include_tparams, bool include_gqs, std::ostream* msgs) const {
  derived().write_array(rng, theta, vars, include_tparams, include_gqs, msgs);
}
template <typename M>
void model_base_crtp<M>::write_array(stan::rng_t& rng, std::vector<double>& theta, std::vector<int>&,
                                     std::vector<double>& vars, bool include_tparams, bool include_gqs,
                                     std::ostream* msgs) const {
  Eigen::VectorXd unconstrained = llb_parts::to_eigen(theta);
  Eigen::VectorXd constrained;
  write_array(rng, unconstrained, constrained, include_tparams, include_gqs, msgs);
  llb_parts::to_std(constrained, vars);
}
template <typename M>
void model_base_crtp<M>::unconstrain_array(const Eigen::VectorXd& constrained, Eigen::VectorXd& theta,
                                           std::ostream* msgs) const {
  derived().unconstrain_array(constrained, theta, msgs);
}
template <typename M>
void model_base_crtp<M>::unconstrain_array(const std::vector<double>& constrained, std::vector<double>& theta,
                                           std::ostream* msgs) const {
  Eigen::VectorXd in = llb_parts::to_eigen(constrained);
  Eigen::VectorXd out;
  unconstrain_array(in, out, msgs);
  llb_parts::to_std(out, theta);
}
template <typename M>
void model_base_crtp<M>::transform_inits(const io::var_context& context, Eigen::VectorXd& theta,
                                         std::ostream* msgs) const {
  derived().transform_inits(context, theta, msgs);
}

#endif  // LLB_MODEL_VALUES

}  // namespace model
}  // namespace stan

// The runner's registry of the library's models (cpp/llb_runner.cpp).
int llb_register_model(const char* name,
                       stan::model::model_base* (*factory)(stan::io::var_context&, unsigned int, std::ostream*));

// Emit the functions defined above for the model class M (one LLB_MODEL_INSTANCE per model of the
// translation unit, in every unit that defines a group) ...
#define LLB_MODEL_INSTANCE(M) template class stan::model::model_base_crtp<M>;

// ... and register it under NAME with the runner when the library is loaded (in one unit per model).
#define LLB_MODEL_REGISTER(M, NAME)                                                                  \
  namespace {                                                                                        \
  stan::model::model_base* llb_new_##NAME(stan::io::var_context& data, unsigned int seed,          \
                                          std::ostream* msgs) {                                     \
    return new M(data, seed, msgs);                                                                  \
  }                                                                                                  \
  const int llb_registered_##NAME = llb_register_model(#NAME, &llb_new_##NAME);                      \
  }

#endif
