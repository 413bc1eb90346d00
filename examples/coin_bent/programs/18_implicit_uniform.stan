// The bias is only known to lie between 0 and 1: its bounds give it a uniform prior. Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  num_heads ~ binomial(num_flips, bias);
}
