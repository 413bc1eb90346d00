// Logistic-binomial model: log-odds of heads normal(0, 0.2), which keeps the bias between about 0.4
// and 0.6 for a standard penny.
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
  log_odds ~ normal(0, 0.2);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
