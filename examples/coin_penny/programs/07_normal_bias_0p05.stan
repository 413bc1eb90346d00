// Binomial heads; the bias of a new penny is 0.5 give or take a few percent, so a normal(0.5, 0.05)
// prior on it.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.5, 0.05);
  num_heads ~ binomial(num_flips, bias);
}
