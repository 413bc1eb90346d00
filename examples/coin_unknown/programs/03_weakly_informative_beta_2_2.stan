// Binomial heads. Most coins are roughly fair but this one's origin is unknown, so a weakly informative
// Beta(2, 2) prior: centred at 0.5 yet allowing almost any bias.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(2, 2);
  num_heads ~ binomial(num_flips, bias);
}
