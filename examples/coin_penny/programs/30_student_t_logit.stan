// Log-odds of heads with a Student-t(4, 0, 0.1) prior: concentrated on a fair penny, with heavier tails
// in case it is slightly biased after all. Binomial likelihood.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real log_odds;
}
transformed parameters {
  real<lower=0, upper=1> bias = inv_logit(log_odds);
}
model {
  log_odds ~ student_t(4, 0, 0.1);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
