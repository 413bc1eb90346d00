// Two kinds of bent coin: mildly bent, with log-odds of heads near 0 (normal(0, 0.5)), or badly bent,
// with log-odds far from 0 (normal(0, 4)); a 30/70 mixture of the two. Heads are binomial.
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
  target += log_mix(0.3, normal_lpdf(log_odds | 0, 0.5), normal_lpdf(log_odds | 0, 4));
  num_heads ~ binomial_logit(num_flips, log_odds);
}
