// Binomial likelihood on the log-odds scale; the log-odds of heads of a standard penny are almost
// exactly zero, so they get a normal(0, 0.1) prior (bias roughly 0.45 to 0.55).
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real log_odds;
}
transformed parameters {
  real<lower=0, upper=1> bias = inv_logit(log_odds);
}
model {
  log_odds ~ normal(0, 0.1);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
