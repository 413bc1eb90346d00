// Heads and tails counted together; the bias of the bent coin gets a U-shaped Beta(0.5, 0.5) prior.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
transformed data {
  int counts[2];
  counts[1] = num_heads;
  counts[2] = num_flips - num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.5, 0.5);
  counts[1] ~ binomial(counts[1] + counts[2], bias);
}
