// Bias with a beta prior of mean 0.5 and a small concentration (4): centred on fair, but nearly
// uninformative. Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta_proportion(0.5, 4);
  num_heads ~ binomial(num_flips, bias);
}
