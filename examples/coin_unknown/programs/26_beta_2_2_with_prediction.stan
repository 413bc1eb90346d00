// Weakly informative Beta(2, 2) prior on the bias, binomial heads; also predicts the heads in the next
// ten flips.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(2, 2);
  num_heads ~ binomial(num_flips, bias);
}
generated quantities {
  int heads_next_10 = binomial_rng(10, bias);
}
