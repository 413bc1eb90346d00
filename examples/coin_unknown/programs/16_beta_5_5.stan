// Even a coin of unknown origin is most likely a real, nearly fair coin; Beta(5, 5) expresses mild
// confidence in fairness. Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(5, 5);
  num_heads ~ binomial(num_flips, bias);
}
