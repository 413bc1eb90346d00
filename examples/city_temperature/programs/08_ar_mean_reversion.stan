// Mean reversion: each city has a climate mean; tomorrow is pulled towards it, keeping a fraction phi of
// today's deviation. City means are pooled around a regional mean near 70 F; phi is shared and lies in (0, 1).
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real mu_city_mean;
  real<lower=0> tau_city_mean;
  vector<offset=mu_city_mean, multiplier=tau_city_mean>[num_cities] city_mean;
  real<lower=0, upper=1> phi;
  real<lower=0> sigma;
}
model {
  mu_city_mean ~ normal(70, 15);
  tau_city_mean ~ normal(0, 10) T[0, ];
  city_mean ~ normal(mu_city_mean, tau_city_mean);
  phi ~ beta(4, 2);
  sigma ~ exponential(0.2);
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(city_mean[c] + phi * (day1_temp_train[c, d] - city_mean[c]), sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(city_mean[c] + phi * (day1_temp_test[c, d] - city_mean[c]), sigma);
    }
  }
}
