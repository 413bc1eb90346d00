// llb's stand-in for Stan's stan/model/model_base_crtp.hpp, found first on llb's include path.
//
// stanc's C++ derives each model class M from model_base_crtp<M>, which implements model_base's
// virtual functions by calling M's templates. The interface here is Stan's, unchanged, but the
// functions are only declared: llb_model_parts.hpp defines them, in two groups that can be compiled
// as two translation units at once (gradient: the log density on autodiff variables; values:
// everything on doubles), and with fewer instantiations of the model's templates (see there).
#ifndef STAN_MODEL_MODEL_BASE_CRTP_HPP
#define STAN_MODEL_MODEL_BASE_CRTP_HPP

#include <stan/model/model_base.hpp>

#include <cstddef>
#include <ostream>
#include <vector>

namespace stan {
namespace model {

template <typename M>
class model_base_crtp : public stan::model::model_base {
 public:
  explicit model_base_crtp(std::size_t num_params_r) : model_base(num_params_r) {}
  ~model_base_crtp() override {}

  // gradient group
  math::var log_prob(Eigen::Matrix<math::var, -1, 1>& theta, std::ostream* msgs) const override;
  math::var log_prob_jacobian(Eigen::Matrix<math::var, -1, 1>& theta, std::ostream* msgs) const override;
  math::var log_prob_propto(Eigen::Matrix<math::var, -1, 1>& theta, std::ostream* msgs) const override;
  math::var log_prob_propto_jacobian(Eigen::Matrix<math::var, -1, 1>& theta, std::ostream* msgs) const override;
  math::var log_prob(std::vector<math::var>& theta, std::vector<int>& theta_i, std::ostream* msgs) const override;
  math::var log_prob_jacobian(std::vector<math::var>& theta, std::vector<int>& theta_i,
                              std::ostream* msgs) const override;
  math::var log_prob_propto(std::vector<math::var>& theta, std::vector<int>& theta_i,
                            std::ostream* msgs) const override;
  math::var log_prob_propto_jacobian(std::vector<math::var>& theta, std::vector<int>& theta_i,
                                     std::ostream* msgs) const override;

  // values group
  double log_prob(Eigen::VectorXd& theta, std::ostream* msgs) const override;
  double log_prob_jacobian(Eigen::VectorXd& theta, std::ostream* msgs) const override;
  double log_prob_propto(Eigen::VectorXd& theta, std::ostream* msgs) const override;
  double log_prob_propto_jacobian(Eigen::VectorXd& theta, std::ostream* msgs) const override;
  double log_prob(std::vector<double>& theta, std::vector<int>& theta_i, std::ostream* msgs) const override;
  double log_prob_jacobian(std::vector<double>& theta, std::vector<int>& theta_i, std::ostream* msgs) const override;
  double log_prob_propto(std::vector<double>& theta, std::vector<int>& theta_i, std::ostream* msgs) const override;
  double log_prob_propto_jacobian(std::vector<double>& theta, std::vector<int>& theta_i,
                                  std::ostream* msgs) const override;
  void write_array(stan::rng_t& rng, Eigen::VectorXd& theta, Eigen::VectorXd& vars, bool include_tparams = true,
                   bool include_gqs = true, std::ostream* msgs = nullptr) const override;
  void write_array(stan::rng_t& rng, std::vector<double>& theta, std::vector<int>& theta_i,
                   std::vector<double>& vars, bool include_tparams = true, bool include_gqs = true,
                   std::ostream* msgs = nullptr) const override;
  void unconstrain_array(const Eigen::VectorXd& constrained, Eigen::VectorXd& theta,
                         std::ostream* msgs = nullptr) const override;
  void unconstrain_array(const std::vector<double>& constrained, std::vector<double>& theta,
                         std::ostream* msgs = nullptr) const override;
  void transform_inits(const io::var_context& context, Eigen::VectorXd& theta, std::ostream* msgs) const override;

 protected:
  const M& derived() const { return *static_cast<const M*>(this); }
};

}  // namespace model
}  // namespace stan

#endif
