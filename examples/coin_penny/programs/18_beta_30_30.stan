// Binomial heads; Beta(30, 30) prior: confident the penny is near fair but not dogmatic about it.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(30, 30);
  num_heads ~ binomial(num_flips, bias);
}
