// Flat prior on the bias, uniform(0, 1), because the bend may have made the coin anything from fair to
// completely one-sided. Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ uniform(0, 1);
  num_heads ~ binomial(num_flips, bias);
}
