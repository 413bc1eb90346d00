// Uniform prior on the probability of heads; binomial heads. Also reports the posterior estimate.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> prob_heads;
}
model {
  prob_heads ~ beta(1, 1);
  num_heads ~ binomial(num_flips, prob_heads);
}
generated quantities {
  real bias_estimate = prob_heads;
}
