// Pennies as a population: their typical bias is near 0.5 (Beta(200, 200)) and their spread around it is
// small (concentration gamma(20, 0.1), about 200); this penny's bias is drawn from that population.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> typical_bias;
  real<lower=0> concentration;
  real<lower=0, upper=1> bias;
}
model {
  typical_bias ~ beta(200, 200);
  concentration ~ gamma(20, 0.1);
  bias ~ beta_proportion(typical_bias, concentration);
  num_heads ~ binomial(num_flips, bias);
}
