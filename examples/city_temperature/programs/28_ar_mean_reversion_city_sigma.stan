// Mean reversion towards each city's climate mean with a shared persistence, and a separate noise scale for
// each city; city means pooled around 70 F (centred).
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real mu_m;
  real<lower=0> tau_m;
  vector[num_cities] m;
  real<lower=-1, upper=1> phi;
  vector<lower=0>[num_cities] sigma;
}
model {
  mu_m ~ normal(70, 20);
  tau_m ~ normal(0, 10) T[0, ];
  m ~ normal(mu_m, tau_m);
  phi ~ uniform(-1, 1);
  sigma ~ lognormal(1, 1);
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(m[c] + phi * (day1_temp_train[c, d] - m[c]), sigma[c]);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(m[c] + phi * (day1_temp_test[c, d] - m[c]), sigma[c]);
    }
  }
}
