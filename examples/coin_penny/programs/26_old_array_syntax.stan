// Beta(50, 50) prior on the bias of a standard penny, binomial heads; also simulates a replicate
// sequence of flips.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(50, 50);
  num_heads ~ binomial(num_flips, bias);
}
generated quantities {
  int flips_rep[num_flips];
  for (n in 1:num_flips) {
    flips_rep[n] = bernoulli_rng(bias);
  }
}
