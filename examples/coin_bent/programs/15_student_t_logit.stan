// Log-odds of heads with a heavy-tailed Student-t(3, 0, 2.5) prior: most bent coins are moderately
// biased but some are extreme. Binomial heads.
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
  log_odds ~ student_t(3, 0, 2.5);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
